import type { Pool } from 'pg';
import type { Fill, Order } from '../domain';
import {
  type Broker,
  type BrokerOrder,
  type BrokerPosition,
  BrokerRejectedError,
  type BrokerToken,
} from './broker';
import { type OrderRateLimiterOptions, SharedOrderRateLimiter } from './order-rate-limiter';

/** An entry refused for the client's order rate: it never left this task. */
export class OrderRateRefusedError extends BrokerRejectedError {
  /** The reject reason the order manager reports. */
  readonly reason = 'ORDER_RATE';
}

// Enough to know that a cancel queued behind the limit has become moot.
const CLOSED_MEMORY = 10_000;

/**
 * The broker's door: every message (new order, cancel) takes a slot of the client's order-rate
 * limit, shared by all tasks, right before it is sent. An entry without a slot is refused
 * (`OrderRateRefusedError`); an exit or a cancel waits in line for its slot and is sent only if
 * it is still valid then (the exit not cancelled meanwhile, the order not already closed).
 */
export class RateLimitedBroker implements Broker {
  readonly name: string;
  private readonly closed = new Set<string>();

  constructor(
    private readonly inner: Broker,
    readonly limiter: SharedOrderRateLimiter,
  ) {
    this.name = inner.name;
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

  async submit(order: Order): Promise<{ brokerOrderId: string }> {
    if (order.reduceOnly) {
      const go = await this.limiter.take(() => order.status === 'NEW');
      if (!go)
        throw new BrokerRejectedError(
          `${order.clientOrderId} became ${order.status} while waiting for a rate slot: not sent`,
        );
    } else {
      const slot = await this.limiter.tryTake();
      if (!slot.granted)
        throw new OrderRateRefusedError(
          `ORDER_RATE: ${slot.why}; next slot in about ${slot.retryInMs} ms`,
        );
    }
    return this.inner.submit(order);
  }

  async cancel(clientOrderId: string): Promise<void> {
    // An order that closed while the cancel waited needs no message.
    if (await this.limiter.take(() => !this.closed.has(clientOrderId)))
      await this.inner.cancel(clientOrderId);
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

  onQuote(symbol: string): void {
    this.inner.onQuote?.(symbol);
  }

  close(): Promise<void> {
    return this.inner.close();
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
