import {
  digestOfTag,
  KiteStrategiesSchema,
  kiteTag,
  orderDigest,
} from '../../services/trading/src/broker/kite/kite-tag';

describe('Kite order tags', () => {
  it('fits prefix and client-order-id digest in 20 characters, the same on every call', () => {
    const tag = kiteTag('orb15', 'a-very-long-client-order-id-0123456789-0123456789');

    expect(tag).toHaveLength(17);
    expect(tag).toBe(kiteTag('orb15', 'a-very-long-client-order-id-0123456789-0123456789'));
    expect(digestOfTag(tag)).toBe(orderDigest('a-very-long-client-order-id-0123456789-0123456789'));
  });

  it('rejects a tag prefix that would make the tag longer than 20 characters at config load', () => {
    const parsed = KiteStrategiesSchema.safeParse({ 'orb-15': { tagPrefix: 'ORB15ALGO' } });

    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['orb-15', 'tagPrefix']);
    expect(parsed.error?.issues[0]?.message).toMatch(/at most 20 characters/);
  });

  it('rejects two strategies whose tags would start alike', () => {
    const parsed = KiteStrategiesSchema.safeParse({ 'orb-15': {}, orb15: {} });

    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toBe('tag prefix "orb15" is already orb-15\'s');
  });

  it('defaults the product to MIS', () => {
    expect(KiteStrategiesSchema.parse({ 'orb-15': {} })['orb-15']?.product).toBe('MIS');
  });

  it('reads no digest from a tag someone else wrote', () => {
    expect(digestOfTag('manual')).toBeUndefined();
    expect(digestOfTag(null)).toBeUndefined();
  });
});
