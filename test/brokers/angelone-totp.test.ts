import { base32Bytes, totp } from '../../services/common/angelone/totp';

describe('totp (RFC 6238)', () => {
  // RFC 6238 appendix B, SHA-1: the seed is ASCII "12345678901234567890", 8 digits.
  const key = Buffer.from('12345678901234567890');

  it.each([
    [59, '94287082'],
    [1_111_111_109, '07081804'],
    [1_111_111_111, '14050471'],
    [1_234_567_890, '89005924'],
    [2_000_000_000, '69279037'],
    [20_000_000_000, '65353130'],
  ])('gives the RFC vector at %i s: %s', (seconds, expected) => {
    expect(totp(key, seconds * 1000, 8)).toBe(expected);
  });

  it('reads a base32 seed as authenticator apps do', () => {
    expect(base32Bytes('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ')).toEqual(key);
    expect(base32Bytes('gezd gnbv gy3t qojq gezd gnbv gy3t qojq====')).toEqual(key);
    expect(totp(base32Bytes('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'), 59_000)).toBe('287082');
  });

  it('refuses a seed that is not base32', () => {
    expect(() => base32Bytes('not-base32!')).toThrow('the TOTP seed is not base32');
  });
});
