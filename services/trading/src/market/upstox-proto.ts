import { createRequire } from 'node:module';
import path from 'node:path';
import protobuf from 'protobufjs';

/**
 * Upstox Market Data Feed V3's protobuf schema, loaded from the `.proto` the official SDK ships
 * (`upstox-js-sdk/dist/feeder/proto/MarketDataFeedV3.proto`) with protobufjs, the SDK's own
 * dependency: the adapter decodes and the simulator encodes with the very same definition.
 */
const sdkEntry = createRequire(__filename).resolve('upstox-js-sdk');
const PROTO_FILE = path.join(path.dirname(sdkEntry), 'feeder', 'proto', 'MarketDataFeedV3.proto');

let root: protobuf.Root | undefined;

/** `FeedResponse`, the message of every binary frame. */
export function feedResponseType(): protobuf.Type {
  root ??= protobuf.loadSync(PROTO_FILE);
  return root.lookupType('com.upstox.marketdatafeederv3udapi.rpc.proto.FeedResponse');
}

/** `FeedResponse.type`. */
export const FEED_TYPE = { initial_feed: 0, live_feed: 1, market_info: 2 } as const;
