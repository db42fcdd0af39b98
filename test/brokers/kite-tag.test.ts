import { BrokerRejectedError } from '../../services/trading/src/broker/broker';
import {
  AlgoTags,
  BrokerStrategiesSchema,
  digestOfTag,
  orderDigest,
  orderTag,
} from '../../services/trading/src/broker/order-tag';
import { contractOrder } from './broker-contract';

const LONG_ID = 'a-very-long-client-order-id-0123456789-0123456789';

describe('order tags: the algo ID, then the client order id digest', () => {
  it('fits algo ID and digest in 20 characters, the same on every call', () => {
    const tag = orderTag('99999', LONG_ID);

    expect(tag).toHaveLength(17);
    expect(tag.startsWith('99999')).toBe(true);
    expect(tag).toBe(orderTag('99999', LONG_ID));
    expect(digestOfTag(tag)).toBe(orderDigest(LONG_ID));
  });

  it("starts every order's tag with its algo ID and maps the tag back to the strategy", () => {
    const tags = new AlgoTags('kite', new Map([['10002', 'ma-cross']]));
    const order = contractOrder('INFY', { strategyId: 'ma-cross' });

    const tag = tags.tagOf(order);

    expect(tag).toBe(`10002${orderDigest(order.clientOrderId)}`);
    expect(tags.strategyOf(tag)).toBe('ma-cross');
  });

  it('learns the algo ID of a strategy from its first order, and names an unknown one', () => {
    const tags = new AlgoTags('upstox', new Map());
    const order = contractOrder('INFY', { strategyId: 'orb-15', algoId: '10001' });

    expect(tags.strategyOf(orderTag('10001', 'x'))).toBe('upstox-algo:10001');
    tags.tagOf(order);
    expect(tags.strategyOf(orderTag('10001', 'y'))).toBe('orb-15');
  });

  it('refuses an order without an algo ID before anything is sent', () => {
    const tags = new AlgoTags('kite', new Map());
    const order = contractOrder('INFY', { algoId: undefined });

    expect(() => tags.tagOf(order)).toThrow(BrokerRejectedError);
    expect(() => tags.tagOf(order)).toThrow(/has no algo ID, and every API order carries one/);
  });

  it("refuses an algo ID longer than the broker's tag leaves for it", () => {
    const tags = new AlgoTags('angelone', new Map());
    const order = contractOrder('INFY', { algoId: '123456789' });

    expect(() => tags.tagOf(order)).toThrow(
      /algo ID "123456789" is 9 characters: angelone's tag is at most 20/,
    );
  });

  it('defaults the product to INTRADAY and has no tag prefix setting left', () => {
    expect(BrokerStrategiesSchema.parse({ 'orb-15': {} })['orb-15']?.product).toBe('INTRADAY');
    expect(BrokerStrategiesSchema.safeParse({ 'orb-15': { tagPrefix: 'ORB' } }).success).toBe(
      false,
    );
  });

  it('reads no digest from a tag someone else wrote', () => {
    expect(digestOfTag('manual')).toBeUndefined();
    expect(digestOfTag(null)).toBeUndefined();
  });
});
