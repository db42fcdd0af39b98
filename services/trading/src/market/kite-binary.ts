/**
 * Kite's ticker binary messages (`[int16 count][int16 size][packet]...`, big-endian), decoded as
 * the official SDK's ticker.js does, but checked: a frame whose sizes run past its end, or a
 * packet of a size Kite never sends, is reported instead of silently skipped or misread.
 */

/** One decoded packet; prices in rupees, times in epoch ms. */
export interface KitePacket {
  readonly instrumentToken: number;
  readonly mode: 'ltp' | 'quote' | 'full';
  readonly lastPrice: number;
  /** Full mode (184 bytes): best bid and ask of the 5-level depth; 0 when a side is empty. */
  readonly bestBid?: number;
  readonly bestAsk?: number;
  /** Full mode: the last trade's exchange time. */
  readonly lastTradeTime?: number;
  /** Full mode: the exchange time of the packet (its depth). */
  readonly exchangeTimestamp?: number;
}

export interface DecodedMessage {
  readonly packets: KitePacket[];
  /** What was wrong with the frame, in words for the log; empty if nothing. */
  readonly problems: string[];
}

const SIZES = new Set([8, 28, 32, 44, 184]);
const NSE_CD = 3;
const BSE_CD = 6;

/** The SDK's divisor per segment (currency derivatives are quoted to more decimals). */
function divisorOf(token: number): number {
  const segment = token & 0xff;
  if (segment === NSE_CD) return 10_000_000;
  if (segment === BSE_CD) return 10_000;
  return 100;
}

/** Decodes one binary message; a 1-byte message is Kite's heartbeat and carries nothing. */
export function decodeKiteMessage(data: ArrayBuffer): DecodedMessage {
  const view = new DataView(data);
  const packets: KitePacket[] = [];
  const problems: string[] = [];
  if (data.byteLength <= 2) return { packets, problems };
  const count = view.getUint16(0);
  let at = 2;
  for (let i = 0; i < count; i += 1) {
    if (at + 2 > data.byteLength) {
      problems.push(
        `truncated: packet ${i + 1} of ${count} has no length (${data.byteLength} bytes)`,
      );
      break;
    }
    const size = view.getUint16(at);
    if (at + 2 + size > data.byteLength) {
      problems.push(
        `truncated: packet ${i + 1} of ${count} claims ${size} bytes, ${data.byteLength - at - 2} left`,
      );
      break;
    }
    if (!SIZES.has(size)) problems.push(`packet ${i + 1} has size ${size}, not a Kite mode`);
    else packets.push(decodePacket(new DataView(data, at + 2, size)));
    at += 2 + size;
  }
  return { packets, problems };
}

function decodePacket(p: DataView): KitePacket {
  const token = p.getInt32(0);
  const div = divisorOf(token);
  const price = (offset: number) => p.getInt32(offset) / div;
  const seconds = (offset: number) => {
    const s = p.getInt32(offset);
    return s > 0 ? s * 1000 : undefined;
  };
  const size = p.byteLength;
  if (size === 8) return { instrumentToken: token, mode: 'ltp', lastPrice: price(4) };
  // Indices (segment 9): 28 (quote) or 32 (full, with the exchange time); no depth.
  if (size === 28 || size === 32)
    return {
      instrumentToken: token,
      mode: size === 32 ? 'full' : 'quote',
      lastPrice: price(4),
      exchangeTimestamp: size === 32 ? seconds(28) : undefined,
    };
  if (size === 44) return { instrumentToken: token, mode: 'quote', lastPrice: price(4) };
  // Full: depth from byte 64, 5 bids then 5 asks of 12 bytes (quantity, price, orders).
  return {
    instrumentToken: token,
    mode: 'full',
    lastPrice: price(4),
    lastTradeTime: seconds(44),
    exchangeTimestamp: seconds(60),
    bestBid: price(64 + 4),
    bestAsk: price(64 + 5 * 12 + 4),
  };
}
