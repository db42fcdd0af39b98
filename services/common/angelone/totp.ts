import { createHmac } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** The bytes of a base32 TOTP seed (RFC 4648; padding and spaces ignored, case-insensitive). */
export function base32Bytes(seed: string): Buffer {
  const clean = seed.replace(/[\s=]/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of clean) {
    const index = BASE32.indexOf(char);
    if (index < 0) throw new Error('the TOTP seed is not base32');
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/**
 * The RFC 6238 time-based one-time password of `key` at `epochMs`: HMAC-SHA1 over the 30-second
 * counter, dynamically truncated (RFC 4226) to `digits` digits. Angel One's login takes the
 * 6-digit code of the account's TOTP seed, so an unattended login needs nothing but the seed.
 */
export function totp(key: Buffer, epochMs: number, digits = 6, stepSeconds = 30): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(epochMs / 1000 / stepSeconds)));
  const hmac = createHmac('sha1', key).update(counter).digest();
  const offset = (hmac[hmac.length - 1] ?? 0) & 0x0f;
  const code = (hmac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(code).padStart(digits, '0');
}
