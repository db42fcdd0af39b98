import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import * as z from 'zod';
import { DEFAULT_INSTRUMENTS, type SimInstrument } from './instruments';
import { OrderEngine } from './order-engine';
import { PriceWalk } from './price-walk';
import { SimRefusal } from './sim-order';

/** The port a simulator listens on when none is given: the variable's value, else `fallback`. */
export function simulatorPort(value: string | undefined, fallback: number): number {
  return z.coerce.number().int().min(0).max(65_535).default(fallback).parse(value);
}

/** The market options every simulator takes. */
export interface SimMarketOptions {
  /** Seed of the price walk. @default 12 */
  readonly seed?: number;
  /** Milliseconds between price steps; 0 steps only when told (`control.step`). @default 250 */
  readonly tickIntervalMs?: number;
  /** The account's cash in rupees. @default 1_000_000 */
  readonly cashRupees?: number;
  /** @default DEFAULT_INSTRUMENTS */
  readonly instruments?: readonly SimInstrument[];
  /** The clock (sessions, rate limits, timestamps). @default Date.now */
  readonly now?: () => number;
}

/** The shared matching engine on its price walk, for the account `userId`. */
export function simMarket(options: SimMarketOptions, userId: string) {
  const now = options.now ?? Date.now;
  const instruments = options.instruments ?? DEFAULT_INSTRUMENTS;
  const walk = new PriceWalk(instruments, options.seed ?? 12, now);
  const engine = new OrderEngine({
    instruments,
    walk,
    now,
    availableCashPaise: Math.round((options.cashRupees ?? 1_000_000) * 100),
    userId,
  });
  /** One step of the walk: it moves, resting orders match, ticks go out through `publish`. */
  const stepWith = (publish: () => void) => () => {
    walk.step();
    engine.matchAll();
    publish();
  };
  return { now, instruments, walk, engine, stepWith };
}

/** Runs an engine call, turning its refusals into the broker's error through `refused`. */
export const refusalGuard =
  (refused: (message: string) => Error) =>
  <T>(call: () => T): T => {
    try {
      return call();
    } catch (error) {
      if (error instanceof SimRefusal) throw refused(error.message);
      throw error;
    }
  };

/**
 * Listens on 127.0.0.1 and steps the market every `tickIntervalMs` (0: only when told); the
 * port, and a stop for the stepping.
 */
export async function listenAndTick(
  app: FastifyInstance,
  port: number,
  tickIntervalMs: number | undefined,
  step: () => void,
): Promise<{ port: number; stopTicking(): void }> {
  await app.listen({ host: '127.0.0.1', port });
  const address = app.server.address() as AddressInfo;
  const interval = tickIntervalMs ?? 250;
  const ticker = interval > 0 ? setInterval(step, interval) : undefined;
  ticker?.unref();
  return { port: address.port, stopTicking: () => clearInterval(ticker) };
}
