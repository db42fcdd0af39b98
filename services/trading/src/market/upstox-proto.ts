import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import protobuf from 'protobufjs';

/**
 * Upstox Market Data Feed V3's protobuf schema, loaded from the `.proto` the official SDK ships
 * (`upstox-js-sdk/dist/feeder/proto/MarketDataFeedV3.proto`) with protobufjs, the SDK's own
 * dependency: the adapter decodes and the simulator encodes with the very same definition.
 */
export const UPSTOX_PROTO_FILE = 'MarketDataFeedV3.proto';

/**
 * The bundled service has no node_modules: scripts/build-services.ts copies the SDK's file beside
 * main.js. From source, it is the SDK's own. Resolved on first use, so that a service on another
 * broker never looks for it.
 */
function protoFile(): string {
  const bundled = path.join(__dirname, 'proto', UPSTOX_PROTO_FILE);
  if (existsSync(bundled)) return bundled;
  const sdkEntry = createRequire(__filename).resolve('upstox-js-sdk');
  return path.join(path.dirname(sdkEntry), 'feeder', 'proto', UPSTOX_PROTO_FILE);
}

let root: protobuf.Root | undefined;

/** `FeedResponse`, the message of every binary frame. */
export function feedResponseType(): protobuf.Type {
  root ??= protobuf.loadSync(protoFile());
  return root.lookupType('com.upstox.marketdatafeederv3udapi.rpc.proto.FeedResponse');
}

/** `FeedResponse.type`. */
export const FEED_TYPE = { initial_feed: 0, live_feed: 1, market_info: 2 } as const;
