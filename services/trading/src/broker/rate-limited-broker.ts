import type { Pool } from 'pg';
import type { Fill, Order } from '../domain';
import {
  type Broker,
  type BrokerMargin,
  type BrokerOrder,
  type BrokerPosition,
  BrokerRejectedError,
  type BrokerToken,
  type OrderChanges,
  type PriceBand,
  type SendThrough,
  sendDirectly,
} from './broker';
import { SharedOrderRateLimiter } from './order-rate-limiter';
import type { OrderRateLimiterOptions } from './order-rate-options';
import {
  DailyOrderCapError,
  type Slot,
  type SlotAnswer,
  type SlotRefusal,
} from './order-rate-slots';

/** An entry refused for the client's order rate: it never left this task. */
export class OrderRateRefusedError extends BrokerRejectedError {
  /** The reject reason the order manager reports. */
  readonly reason = 'ORDER_RATE';

  constructor(
    message: string,
    /** The cap it met; 'day': the broker's daily cap, used up until the next IST day. */
    readonly cap?: SlotRefusal['cap'],
  ) {
    super(message);
  }
}

// Enough to know that a cancel queued behind the limit has become moot.
const CLOSED_MEMORY = 10_000;
// A late entry is restamped at most this often (each a round trip) before it is refused.
const MAX_ENTRY_RESTAMPS = 2;

/**
 * The broker's door: every message (new order, modify, cancel) takes a slot of the client's
 * order-rate limit, shared by all tasks, right before it is sent; the order manager's entries bring
 * theirs, taken in the statement that recorded them (`submitEntry`). An entry without a slot is refused
 * (`OrderRateRefusedError`); an exit or a cancel waits in line for its slot and is sent only if
 * it is still valid then (the exit not cancelled meanwhile, the order not already closed).
 * Only the venue call runs inside the caller's `through` (its breaker's timer): the wait for a
 * slot is the client's own rate, not the broker being slow. Each slot is checked right before
 * the call (`SharedOrderRateLimiter.sendDecision`): an entry whose grant came back too late is
 * sent only once its stamp was moved to now in a window with room for it (else refused), and a
 * late exit or cancel has its stamp moved to when it really went.
 */
export class RateLimitedBroker implements Broker {
  readonly name: string;
  readonly margin?: () => Promise<BrokerMargin>;
  readonly marginRate?: (strategyId: string) => number;
  readonly priceBands?: (symbols: readonly string[]) => Promise<ReadonlyMap<string, PriceBand>>;
  private readonly closed = new Set<string>();

  constructor(
    private readonly inner: Broker,
    readonly limiter: SharedOrderRateLimiter,
  ) {
    this.name = inner.name;
    // Capabilities the venue has stay optional here: reads, not messages, so no slot is taken.
    if (inner.margin && inner.marginRate) {
      this.margin = inner.margin.bind(inner);
      this.marginRate = inner.marginRate.bind(inner);
    }
    if (inner.priceBands) this.priceBands = inner.priceBands.bind(inner);
    inner.onFill((_fill, order) => {
      if (order.status !== 'OPEN') this.markClosed(order.clientOrderId);
    });
    inner.onOrderClosed((order) => this.markClosed(order.clientOrderId));
  }

  connected(): boolean {
    return this.inner.connected();
  }

  onFill(listener: (fill: Fill, order: BrokerOrder) => void): void {
    this.inner.onFill(listener);
  }

  onOrderClosed(listener: (order: BrokerOrder) => void): void {
    this.inner.onOrderClosed(listener);
  }

  async submit(
    order: Order,
    through: SendThrough = sendDirectly,
  ): Promise<{ brokerOrderId: string }> {
    if (order.reduceOnly) {
      const sent = await this.sendInLine(
        () => order.status === 'NEW',
        () => this.inner.submit(order, through),
      );
      if (!sent)
        throw new BrokerRejectedError(
          `${order.clientOrderId} became ${order.status} while waiting for a rate slot: not sent`,
        );
      return sent.result;
    }
    const slot = await this.limiter.tryTake();
    if (!slot.granted)
      throw new OrderRateRefusedError(
        slot.cap === 'day'
          ? `ORDER_RATE: ${slot.why}`
          : `ORDER_RATE: ${slot.why}; next slot in about ${slot.retryInMs} ms`,
        slot.cap,
      );
    return this.submitEntry(order, slot, through);
  }

  /**
   * Sends an entry on a slot it already holds (taken in the statement that recorded it, see
   * `OrderInserts`), checked right before the call as every slot is.
   */
  async submitEntry(
    order: Order,
    granted: Slot,
    through: SendThrough = sendDirectly,
  ): Promise<{ brokerOrderId: string }> {
    let slot: SlotAnswer = granted;
    for (let restamps = 0; ; restamps += 1) {
      // Nothing awaits between this check and the venue call (`through` calls synchronously).
      if (this.limiter.sendDecision(slot, 'entry') === 'send')
        return this.settled(slot, false, this.inner.submit(order, through));
      if (restamps === MAX_ENTRY_RESTAMPS)
        throw new OrderRateRefusedError(
          `ORDER_RATE: each of ${restamps + 1} slots came ${this.limiter.sendBudgetMs} ms or more after it was asked for (a busy process); not sent`,
        );
      slot = await this.limiter.restampEntry(slot);
      if (!slot.granted)
        throw new OrderRateRefusedError(`ORDER_RATE: ${slot.why}; not sent`, slot.cap);
    }
  }

  async cancel(clientOrderId: string, through: SendThrough = sendDirectly): Promise<void> {
    // An order that closed while the cancel waited needs no message.
    await this.sendInLine(
      () => !this.closed.has(clientOrderId),
      () => this.inner.cancel(clientOrderId, through),
    );
  }

  /** A modify is a message like a cancel: it waits in line for its slot, sent while still open. */
  async modify(
    clientOrderId: string,
    changes: OrderChanges,
    through: SendThrough = sendDirectly,
  ): Promise<void> {
    const sent = await this.sendInLine(
      () => !this.closed.has(clientOrderId),
      () => this.inner.modify(clientOrderId, changes, through),
    );
    if (!sent)
      throw new BrokerRejectedError(
        `${clientOrderId} closed while its modify waited for a rate slot: not sent`,
      );
  }

  getOrder(clientOrderId: string): Promise<BrokerOrder | undefined> {
    return this.inner.getOrder(clientOrderId);
  }

  positions(): Promise<BrokerPosition[]> {
    return this.inner.positions();
  }

  adopt(strategyIds: readonly string[]): Promise<void> {
    return this.inner.adopt(strategyIds);
  }

  release(strategyIds: readonly string[]): void {
    this.inner.release(strategyIds);
  }

  tokens(): Promise<BrokerToken[]> {
    return this.inner.tokens();
  }

  tokenProblem(): string | undefined {
    return this.inner.tokenProblem?.();
  }

  onQuote(symbol: string): void {
    this.inner.onQuote?.(symbol);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /**
   * An exit or a cancel: waits in line for a slot and sends while `stillValid`. A late slot is
   * used and restamped, or, if too late for that, left taken while the message waits again.
   * Undefined: the message stopped being valid before it could go.
   */
  private async sendInLine<T>(
    stillValid: () => boolean,
    send: () => Promise<T>,
  ): Promise<{ result: T } | undefined> {
    for (;;) {
      const slot: Slot | undefined = await this.limiter.take(stillValid).catch((error) => {
        if (error instanceof DailyOrderCapError)
          throw new OrderRateRefusedError(`ORDER_RATE: ${error.message}; not sent`, 'day');
        throw error;
      });
      if (!slot) return undefined;
      const decision = this.limiter.sendDecision(slot, 'exit');
      if (decision === 'retake') continue;
      const sending = send();
      // Issued in the same turn as the send, so it reaches the database while the old stamp
      // still counts (see the limiter); not awaited: the exit is out either way.
      if (decision === 'send-restamp') void this.limiter.restamp(slot);
      return { result: await this.settled(slot, decision === 'send-restamp', sending) };
    }
  }

  /**
   * The venue's answer to a message sent on `slot`. The way from our call to the venue's receipt
   * (network; for the paper venue its pool and PostgreSQL) is not ours to bound before sending:
   * measured under two CPU burners, a message sent on time reached the venue 600 ms after its
   * stamp. So a message answered later than the margin after its slot was asked for is counted
   * again at its answer (after its receipt): the next grants see it where the venue saw it.
   */
  private async settled<T>(slot: Slot, restamped: boolean, sending: Promise<T>): Promise<T> {
    try {
      return await sending;
    } finally {
      if (!restamped && this.limiter.answeredLate(slot)) void this.limiter.restamp(slot);
    }
  }

  private markClosed(clientOrderId: string): void {
    this.closed.add(clientOrderId);
    if (this.closed.size > CLOSED_MEMORY) {
      const oldest = this.closed.values().next().value;
      if (oldest !== undefined) this.closed.delete(oldest);
    }
  }
}

/** Wraps `inner` so that every message takes a slot of the client's shared order-rate limit. */
export function withOrderRateLimit(
  inner: Broker,
  db: Pool,
  options: OrderRateLimiterOptions,
): RateLimitedBroker {
  return new RateLimitedBroker(inner, new SharedOrderRateLimiter(db, options));
}
