import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalParameterStore } from '../../services/common/parameters/local-parameter-store';
import type {
  ParameterRead,
  ParameterStore,
} from '../../services/common/parameters/parameter-store';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, type Harness, startHarness } from '../trading/harness';

/** The local store, made to fail, hang (ignoring its signal, as a stuck socket would) or answer. */
class FaultyStore implements ParameterStore {
  readonly kind = 'local' as const;
  mode: 'ok' | 'fail' | 'hang' = 'ok';
  /** Reads that went into the hang (the trial call among them). */
  hung = 0;
  constructor(private readonly inner: LocalParameterStore) {}
  getParameters(names: readonly string[], signal?: AbortSignal): Promise<ParameterRead> {
    if (this.mode === 'fail')
      return Promise.reject(new Error('ThrottlingException: Rate exceeded'));
    if (this.mode === 'hang') {
      this.hung += 1;
      return new Promise<never>(() => undefined);
    }
    return this.inner.getParameters(names, signal);
  }
  putParameter(name: string, value: string, actor: string) {
    return this.inner.putParameter(name, value, actor);
  }
  history(name: string, limit: number) {
    return this.inner.history(name, limit);
  }
}

describe('trading service with a faulty flag store', () => {
  let db: TestDatabase;
  let h: Harness | undefined;

  beforeEach(async () => {
    db = await createTestDatabase();
  });

  afterEach(async () => {
    await h?.stop();
    h = undefined;
    await db.close();
  });

  it('closes the parameter-store breaker by itself after a hung trial, once the store answers again', async () => {
    // Arrange
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'flag-')), 'parameters.json');
    const store = new FaultyStore(new LocalParameterStore(file));
    h = await startHarness({ url: db.url, parameters: store, flag: 'true', breakerResetMs: 300 });
    const { service, internals } = h;
    const breaker = () => internals.breakers.parameters.snapshot().state;
    expect(service.stateView().state).toBe('ACTIVE');

    // Act: failures open the breaker, then the trial call hangs
    store.mode = 'fail';
    await eventually(() => breaker() === 'OPEN', 10_000, 'breaker OPEN');
    store.mode = 'hang';
    await eventually(() => store.hung > 0, 15_000, 'the half-open trial hanging in the store');
    expect(service.stateView().state).toBe('HALTED');

    // Act: the store answers again; nobody resets anything
    store.mode = 'ok';
    await eventually(() => breaker() === 'CLOSED', 20_000, 'parameter-store breaker CLOSED');

    // Assert
    await eventually(() => service.stateView().state === 'ACTIVE', 5000, 'ACTIVE again');
    expect(internals.breakers.parameters.snapshot().lastResetBy).toBeUndefined();
  }, 60_000);

  it('stays HALTED, with the value as the cause, while the flag holds garbage', async () => {
    // Arrange
    h = await startHarness({ url: db.url, flag: 'true' });

    // Act
    await h.setFlag('{"enabled": true}');

    // Assert
    const view = h.service.stateView();
    expect(view.state).toBe('HALTED');
    expect(view.cause).toContain('{\\"enabled\\": true}');
    h.quoteAll();
    const entry = await h.service.submitOrder({
      clientOrderId: 'garbage-1',
      strategyId: 'manual',
      symbol: 'INFY',
      side: 'BUY',
      type: 'MARKET',
      quantity: 1,
      reduceOnly: false,
    });
    expect(entry).toMatchObject({ outcome: 'REJECTED', reason: 'TRADING_HALTED' });
  });
});
