import type { CalendarSource } from '../../../common/calendar/calendar-store';
import { MarketCalendar, type MarketStatus, SESSION } from '../../../common/market-calendar';
import { type Clock, istDate, istTimeOn, systemClock } from '../../../common/time';

/** The exchange session the service trades in: what time it is and whether the market is open. */
export interface TradingSession extends Clock {
  readonly kind: 'nse' | 'simulated';
  status(): MarketStatus;
}

const repositoryCalendar = new MarketCalendar();
const REPOSITORY_ONLY: CalendarSource = { current: () => repositoryCalendar };

/**
 * The real NSE: wall-clock time and the exchange calendar (the service passes one refreshed from
 * PostgreSQL). A special session opens, squares off and closes at its own hours. A day whose year
 * has no list is UNKNOWN and the market counts as closed: no new entries (fail closed); exits and
 * halts do not depend on the session.
 */
export class NseSession implements TradingSession {
  readonly kind = 'nse' as const;

  constructor(
    private readonly calendar: CalendarSource = REPOSITORY_ONLY,
    private readonly clock: Clock = systemClock,
  ) {}

  now(): number {
    return this.clock.now();
  }

  status(): MarketStatus {
    return this.calendar.current().status(this.now());
  }
}

/**
 * A session that is open whenever the local stack runs: today's IST date, with the time of day
 * running from 09:15 to 15:30 at `speed` times real time and starting over at 09:15.
 */
export class SimulatedSession implements TradingSession {
  readonly kind = 'simulated' as const;
  private readonly startedAt: number;

  constructor(
    private readonly speed: number,
    private readonly clock: Clock = systemClock,
  ) {
    this.startedAt = clock.now();
  }

  now(): number {
    const real = this.clock.now();
    const date = istDate(real);
    const open = istTimeOn(date, SESSION.open);
    const length = istTimeOn(date, SESSION.close) - open;
    const elapsed = ((real - this.startedAt) * this.speed) % length;
    return open + elapsed;
  }

  status(): MarketStatus {
    const now = this.now();
    const date = istDate(now);
    return {
      date,
      day: { date, kind: 'TRADING_DAY' },
      phase: 'OPEN',
      open: true,
      squareOffDue: now >= istTimeOn(date, SESSION.squareOff),
    };
  }
}
