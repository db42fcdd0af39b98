import { randomUUID } from 'node:crypto';
import { MarginCheck, marginSourceOf } from '../../services/trading/src/risk/margin-check';
import { kiteServiceEach, startKiteVenue } from './kite-venue';

type Venue = Awaited<ReturnType<typeof startKiteVenue>>;

/** A manual entry: INFY with a stop 1% under 1500 (the harness quotes INFY at 1500). */
const infyEntry = (quantity: number) => ({
  clientOrderId: randomUUID(),
  strategyId: 'manual',
  symbol: 'INFY',
  side: 'BUY' as const,
  type: 'MARKET' as const,
  quantity,
  stopPrice: 1485,
  reduceOnly: false,
});

describe('margins as a pre-trade risk input (Kite simulator)', () => {
  let venue: Venue;
  let margin: MarginCheck;

  beforeEach(async () => {
    venue = await startKiteVenue({ pollMs: 60_000 });
    const source = marginSourceOf(venue.kite);
    if (!source) throw new Error('the Kite adapter has no margin capability');
    margin = new MarginCheck(source);
  });
  afterEach(() => venue.close());

  it("reads the equity segment's available margin from /user/margins in Kite's envelope", async () => {
    const before = await venue.kite.margin();
    venue.simulator.control.setCash(50_000);

    const after = await venue.kite.margin();

    expect(before.availableInr).toBe(1_000_000);
    expect(after.availableInr).toBe(50_000);
    expect(venue.kite.marginRate('orb-15')).toBe(0.2);
  });

  it('refuses an entry the available margin does not cover, naming both figures', async () => {
    venue.simulator.control.setCash(10_000);
    await margin.refresh();

    const refusal = margin.refusal(infyEntry(100), 1500);

    expect(refusal).toBe(
      'entry needs about INR 30,000 of margin (INR 1,50,000 at 20%), INR 10,000 available at the broker',
    );
  });

  it('holds the margin of entries just admitted until a later reading includes them', async () => {
    venue.simulator.control.setCash(10_000);
    await margin.refresh();

    const admitted = [1, 2, 3].map(() => margin.refusal(infyEntry(10), 1500));
    const fourth = margin.refusal(infyEntry(10), 1500);

    expect(admitted).toEqual([undefined, undefined, undefined]);
    expect(fourth).toMatch(/INR 1,000 available at the broker after INR 9,000 held for entries/);
    await margin.refresh();
    expect(margin.refusal(infyEntry(10), 1500)).toBeUndefined();
  });

  it('fails closed: margins Kite could not answer refuse the entry with the reason', async () => {
    await margin.refresh();
    // The read and its three retries all answer 500.
    venue.simulator.control.armFaults({ failNext: { count: 4, status: 500 } });

    await margin.refresh();

    expect(margin.refusal(infyEntry(10), 1500)).toBe(
      "margin unknown: the broker's margins could not be read (GeneralException: Something unexpected went wrong)",
    );
    await margin.refresh();
    expect(margin.refusal(infyEntry(10), 1500)).toBeUndefined();
  });

  it('refuses an entry before a reading exists', () => {
    expect(margin.refusal(infyEntry(10), 1500)).toBe(
      'margin unknown: not read from the broker yet',
    );
  });
});

describe('the trading service on the Kite adapter: INSUFFICIENT_MARGIN before the broker', () => {
  const service = kiteServiceEach();

  it('refuses an entry the account cannot cover; Kite never sees it', async () => {
    const { venue } = service;
    venue.simulator.control.setCash(10_000);
    const h = await service.start();
    h.quoteAll();

    const result = await h.service.submitOrder(infyEntry(100));

    expect(result).toMatchObject({
      outcome: 'REJECTED',
      reason: 'INSUFFICIENT_MARGIN',
      message: expect.stringContaining('INR 10,000 available at the broker'),
    });
    expect(venue.simulator.control.book().orders).toEqual([]);
  });
});
