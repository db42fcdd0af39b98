import { randomFillSync } from 'node:crypto';

/**
 * A UUID of version 7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits. Rows keyed
 * by it arrive in time order, so each insert lands on the right-hand edge of the btree (a page
 * already in memory, one WAL record) instead of on a random leaf among a day's orders, as a
 * version 4 UUID does in every index that holds it (orders, fills, order events).
 */
export function timeOrderedUuid(now: number = Date.now()): string {
  const b = randomFillSync(Buffer.alloc(16));
  b.writeUIntBE(now, 0, 6);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x70;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
