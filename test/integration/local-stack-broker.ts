import { GENERIC_ALGO_ID } from '../../contract/algo-id';
import type { BrokerKind } from '../../contract/brokers';
import type { SpawnedLocalStack } from '../../scripts/local/spawn-stack';
import { buy, spawnQuietLocalStack } from '../support/local-stack';
import { eventually } from '../trading/harness';

/** A live broker's simulator and local secrets, as the stack reports them. */
export type LocalBrokerEndpoints = NonNullable<SpawnedLocalStack['info']['upstox']>;

/** What a broker's block of the suite uses to drive the stack and its simulator. */
export interface LocalStackDrive {
  readonly stack: SpawnedLocalStack;
  readonly endpoints: LocalBrokerEndpoints;
  tradeops(...args: string[]): ReturnType<SpawnedLocalStack['tradeops']>;
  /** A GET on the stack's trading API. */
  api(urlPath: string): Promise<Record<string, unknown>>;
  /** A call on the simulator's API (its `/__sim` levers included). */
  sim(method: 'GET' | 'POST', urlPath: string, body?: unknown): Promise<Record<string, unknown>>;
  state(): Promise<{ state: string; cause: string | null }>;
  /** A stop about 2% under the simulator's last price of `symbol`. */
  stopUnder(symbol: string): Promise<number>;
}

/** How one live broker differs in the local-stack suite. */
export interface LocalStackBroker {
  readonly kind: Exclude<BrokerKind, 'paper'>;
  /** As the stack prints it: "LIVE mode on <label>". */
  readonly label: string;
  /** How the stack logged in, for the first test's name. */
  readonly loggedIn: string;
  /** The broker's word for the order tag and its positions call, for the test names. */
  readonly tagWord: string;
  readonly positionsCall: string;
  /** The simulator's net positions as the desk's SDK reads them, with the stack's token. */
  simPositions(endpoints: LocalBrokerEndpoints): Promise<ReadonlyArray<SymbolQuantity>>;
  /** The simulator's last price of `symbol`. */
  lastPrice(drive: LocalStackDrive, symbol: string): Promise<number>;
  /** The tags of the simulator book's orders in `symbol` (the book as `/__sim/book` gives it). */
  tagsIn(book: ReadonlyArray<Record<string, unknown>>, symbol: string): ReadonlyArray<unknown>;
  /** The token test's name, and the start of the halt cause it expects. */
  readonly tokenTest: string;
  readonly tokenCause: string;
  /** The broker's further assertions once the refused token halted trading (`sentAt`: the order). */
  afterTokenHalt?(drive: LocalStackDrive, sentAt: number, stop: number): Promise<void>;
}

interface SymbolQuantity {
  readonly symbol: string;
  readonly quantity: number;
}

const nonZero = (positions: ReadonlyArray<SymbolQuantity>) =>
  Object.fromEntries(positions.filter((p) => p.quantity !== 0).map((p) => [p.symbol, p.quantity]));

/**
 * `npm start -- --broker <kind>`: the local stack trading LIVE against the broker's simulator,
 * driven through the trading API and the `tradeops` CLI as on any stage. `extras` declares the
 * broker's own tests, run after the shared ones (and after the token halt).
 */
export function describeLocalStackOn(
  broker: LocalStackBroker,
  extras?: (drive: LocalStackDrive) => void,
): void {
  describe(`the local stack LIVE on the ${broker.label} simulator`, () => {
    let stack: SpawnedLocalStack;
    let endpoints: LocalBrokerEndpoints;
    const drive: LocalStackDrive = {
      get stack() {
        return stack;
      },
      get endpoints() {
        return endpoints;
      },
      tradeops: (...args) => stack.tradeops(...args),
      api: async (urlPath) => {
        const res = await fetch(`${stack.info.tradingUrl}${urlPath}`, {
          headers: { authorization: `Bearer ${stack.info.controlToken}` },
        });
        return (await res.json()) as Record<string, unknown>;
      },
      sim: async (method, urlPath, body) => {
        const res = await fetch(`${endpoints.apiRoot}${urlPath}`, {
          method,
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        return (await res.json()) as Record<string, unknown>;
      },
      state: async () => (await drive.api('/state')) as { state: string; cause: string | null },
      stopUnder: async (symbol) => Math.round((await broker.lastPrice(drive, symbol)) * 0.98),
    };
    const { tradeops, api, sim, state } = drive;
    const ourPositions = async () =>
      nonZero((await api('/positions')).positions as SymbolQuantity[]);
    const simPositions = async () => nonZero(await broker.simPositions(endpoints));
    const drill = `${broker.kind} drill`;

    beforeAll(async () => {
      stack = await spawnQuietLocalStack({}, ['--broker', broker.kind]);
      endpoints = stack.info[broker.kind] as LocalBrokerEndpoints;
    }, 120_000);

    afterAll(async () => {
      if (stack) expect(await stack.stop()).toEqual({ code: 0, leftStackInfo: false });
    }, 150_000);

    it(`starts LIVE on ${broker.label}, ${broker.loggedIn}, and resumes through the readiness check`, async () => {
      expect(stack.output()).toContain(`LIVE mode on ${broker.label}`);
      expect(stack.info.broker).toBe(broker.kind);
      expect(await api('/state')).toMatchObject({ mode: 'LIVE', broker: { name: broker.kind } });

      const resume = await tradeops('resume', 'local', '--reason', drill, '--yes');

      expect(resume.code).toBe(0);
      await eventually(async () => (await state()).state === 'ACTIVE', 15_000);
    }, 120_000);

    it(`sends orders to the simulator with our ${broker.tagWord}; positions match ${broker.positionsCall}`, async () => {
      const placed = await buy(stack, 'INFY', await drive.stopUnder('INFY'));

      expect(placed.status).toBe(201);
      await eventually(async () => (await ourPositions()).INFY === 10, 15_000, 'the INFY fill');
      const book = (await sim('GET', '/__sim/book')).orders as Array<Record<string, unknown>>;
      const tags = broker.tagsIn(book, 'INFY');
      expect(tags).toHaveLength(1);
      // A manual order: the stage's manual algo ID (the generic one), then the order digest.
      expect(tags[0]).toMatch(new RegExp(`^${GENERIC_ALGO_ID}[0-9a-f]{12}$`));
      expect(String(tags[0]).length).toBeLessThanOrEqual(20);
      expect(await simPositions()).toEqual(await ourPositions());
    }, 60_000);

    it('tradeops kill local leaves the simulator flat', async () => {
      const kill = await tradeops('kill', 'local', '--reason', drill, '--yes');

      expect(kill.code).toBe(0);
      expect(await simPositions()).toEqual({});
      expect(await ourPositions()).toEqual({});
      expect((await state()).state).toBe('HALTED');
    }, 120_000);

    it('a position opened at the simulator behind our back fails reconciliation and resume refuses', async () => {
      await sim('POST', '/__sim/orders', {
        tradingsymbol: 'SBIN',
        transaction_type: 'BUY',
        quantity: 5,
      });
      await eventually(async () => (await simPositions()).SBIN === 5, 10_000, 'the SBIN fill');

      const resume = await tradeops('resume', 'local', '--reason', 'after the kill', '--yes');

      expect(resume.code).not.toBe(0);
      expect(`${resume.stdout}${resume.stderr}`).toMatch(/reconciliation[\s\S]*SBIN/);
      expect((await state()).state).toBe('HALTED');
      // The desk closes it by hand at the broker; then resume passes.
      await sim('POST', '/__sim/orders', {
        tradingsymbol: 'SBIN',
        transaction_type: 'SELL',
        quantity: 5,
      });
      await eventually(async () => (await simPositions()).SBIN === undefined, 10_000);
    }, 120_000);

    it(broker.tokenTest, async () => {
      const resume = await tradeops('resume', 'local', '--reason', 'flat again', '--yes');
      expect(resume.code).toBe(0);
      await eventually(async () => (await state()).state === 'ACTIVE', 15_000);
      const stop = await drive.stopUnder('TCS');

      await sim('POST', '/__sim/session/expire');
      // No call reaches the broker between the expiry and this order: its refusal is the first.
      const sentAt = Date.now();
      const placed = await buy(stack, 'TCS', stop);

      expect(placed.status).not.toBe(201);
      await eventually(
        async () => (await state()).cause?.startsWith(broker.tokenCause) === true,
        5000,
        'the token halt',
      );
      expect((await state()).state).toBe('HALTED');
      await broker.afterTokenHalt?.(drive, sentAt, stop);
    }, 120_000);

    extras?.(drive);
  });
}
