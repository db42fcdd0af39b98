import { randomUUID } from 'node:crypto';
import { PriceBandCheck, priceBandSourceOf } from '../../services/trading/src/risk/price-bands';
import { kiteServiceEach, startKiteVenue } from './kite-venue';

type Venue = Awaited<ReturnType<typeof startKiteVenue>>;

const infyBand = async (venue: Venue) => {
  const band = (await venue.kite.priceBands(['INFY'])).get('INFY');
  if (!band) throw new Error('the simulator quotes no circuit limits for INFY');
  return band;
};

describe("circuit limits bound the price collar (Kite's quotes)", () => {
  let venue: Venue;
  let check: PriceBandCheck;

  beforeEach(async () => {
    venue = await startKiteVenue({ pollMs: 60_000 });
    const source = priceBandSourceOf(venue.kite, () => ['INFY', 'TCS']);
    if (!source) throw new Error('the Kite adapter has no price bands');
    check = new PriceBandCheck(source);
  });
  afterEach(() => venue.close());

  it("refuses a price outside the symbol's band, naming the band; passes one inside", async () => {
    const band = await infyBand(venue);
    await check.refresh();

    expect(band.lower).toBeGreaterThan(0);
    expect(band.upper).toBeGreaterThan(band.lower);
    expect(check.refusal('INFY', band.upper + 1, false)).toBe(
      `price ${band.upper + 1} is outside INFY's circuit band ${band.lower}-${band.upper}`,
    );
    expect(check.refusal('INFY', band.lower - 1, true)).toMatch(/outside INFY's circuit band/);
    expect(check.refusal('INFY', band.upper, false)).toBeUndefined();
  });

  it('fails closed for entries when the quotes cannot be read; exits still pass', async () => {
    venue.simulator.control.armFaults({ failNext: { count: 4, status: 500 } });

    await check.refresh();

    expect(check.refusal('INFY', 1500, false)).toBe(
      'circuit limits of INFY unknown (GeneralException: Something unexpected went wrong): a priced entry is not sent',
    );
    expect(check.refusal('INFY', 1500, true)).toBeUndefined();
  });
});

describe('the trading service on the Kite adapter: a limit outside the circuit band', () => {
  const service = kiteServiceEach();

  it('refuses PRICE_COLLAR naming the band, before Kite sees it', async () => {
    const { venue } = service;
    const band = await infyBand(venue);
    const h = await service.start();

    // The last price at the upper circuit: a limit a tick above is inside the % collar.
    h.quoteAll({ INFY: band.upper });

    const result = await h.service.submitOrder({
      clientOrderId: randomUUID(),
      strategyId: 'manual',
      symbol: 'INFY',
      side: 'BUY',
      type: 'LIMIT',
      limitPrice: band.upper + 0.05,
      quantity: 10,
      stopPrice: band.upper - 10,
      reduceOnly: false,
    });

    expect(result).toMatchObject({
      outcome: 'REJECTED',
      reason: 'PRICE_COLLAR',
      message: `price ${band.upper + 0.05} is outside INFY's circuit band ${band.lower}-${band.upper}`,
    });
    expect(venue.simulator.control.book().orders).toEqual([]);
  });
});
