import { timingSafeEqual } from 'node:crypto';

/** Whether an `Authorization` header carries `Bearer <expected>`, compared in constant time. */
export function bearerTokenMatches(expected: Buffer, header: string | undefined): boolean {
  const match = /^Bearer (.+)$/.exec(header ?? '');
  if (!match?.[1]) return false;
  const given = Buffer.from(match[1]);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
