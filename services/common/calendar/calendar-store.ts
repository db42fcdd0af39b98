import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import type { CalendarEntry } from '../../../contract/market-calendar';
import { type AuditEntry, appendAudit } from '../db/audit';
import { withClient } from '../db/client';
import type { Queryable } from '../db/queryable';
import { messageOf } from '../errors';
import { type CalendarYear, MarketCalendar, REPOSITORY_CALENDAR } from '../market-calendar';

/** The calendar a process decided with, and why it may not be the imported one. */
export interface CalendarLoad {
  readonly calendar: MarketCalendar;
  /** The imported years could not be read: the repository's seed is all the calendar has. */
  readonly warning?: string;
}

/** The years imported into PostgreSQL (`market_calendar_*`, migration 0008). */
export async function importedYears(db: Queryable): Promise<CalendarYear[]> {
  const { rows } = await db.query<{
    year: number;
    source: string;
    day: string;
    type: CalendarEntry['type'];
    description: string;
    open_time: string | null;
    close_time: string | null;
    provisional: boolean;
  }>(
    `SELECT y.year, y.source, to_char(d.day, 'YYYY-MM-DD') AS day, d.type, d.description,
            to_char(d.open_time, 'HH24:MI') AS open_time, to_char(d.close_time, 'HH24:MI') AS close_time,
            d.provisional
       FROM market_calendar_years y JOIN market_calendar_days d USING (year)
      ORDER BY y.year, d.day, d.type`,
  );
  const years = new Map<number, { source: string; entries: CalendarEntry[] }>();
  for (const r of rows) {
    const year = years.get(r.year) ?? { source: r.source, entries: [] };
    year.entries.push({
      date: r.day,
      type: r.type,
      description: r.description,
      ...(r.open_time ? { open: r.open_time } : {}),
      ...(r.close_time ? { close: r.close_time } : {}),
      ...(r.provisional ? { provisional: true as const } : {}),
    });
    years.set(r.year, year);
  }
  return [...years].map(([year, y]) => ({ year, origin: 'database', ...y }));
}

/**
 * The calendar every process uses: the repository's seed years, each replaced by its imported
 * list when there is one. Without a database (the CLI outside the VPC) or when it cannot be read,
 * the seed alone, with a warning that says so: a year that neither has is UNKNOWN (not a trading
 * day), never guessed.
 */
export async function loadMarketCalendar(db: Queryable | undefined): Promise<CalendarLoad> {
  if (!db)
    return {
      calendar: new MarketCalendar(),
      warning: 'no database access: the repository calendar only (imports not seen)',
    };
  try {
    return { calendar: new MarketCalendar([...REPOSITORY_CALENDAR, ...(await importedYears(db))]) };
  } catch (error) {
    return {
      calendar: new MarketCalendar(),
      warning: `the imported calendar could not be read (${messageOf(error)}): the repository calendar only`,
    };
  }
}

/** The sha256 of a list as stored: what the audit row and `market_calendar_years` record. */
export function calendarDigest(entries: readonly CalendarEntry[]): string {
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex');
}

/** What an import replaced and with what. */
export interface CalendarImportResult {
  readonly years: readonly number[];
  readonly entries: number;
  readonly sha256: string;
  /** The years' lists before the import (imported ones; absent for a year only seeded). */
  readonly before: Readonly<Record<number, { readonly entries: number; readonly sha256: string }>>;
  readonly auditId: number;
}

/**
 * Replaces the years of `entries` (each year wholly) with them and writes the audit row, in one
 * transaction: either the whole list is loaded and audited, or nothing changes. `entries` must
 * have passed `CalendarListSchema`; the table's checks hold the same rules again.
 */
export async function replaceCalendarYears(
  pool: Pool,
  entries: readonly CalendarEntry[],
  meta: {
    readonly source: string;
    readonly audit: Omit<AuditEntry, 'before' | 'after' | 'result'>;
  },
): Promise<CalendarImportResult> {
  const years = [...new Set(entries.map((e) => Number(e.date.slice(0, 4))))].sort();
  const sha256 = calendarDigest(entries);
  return withClient(pool, 'calendar import', async (client) => {
    await client.query('BEGIN');
    try {
      const before: Record<number, { entries: number; sha256: string }> = {};
      const previous = await client.query<{ year: number; sha256: string; entries: string }>(
        `SELECT y.year, y.sha256, (SELECT count(*) FROM market_calendar_days d WHERE d.year = y.year) AS entries
           FROM market_calendar_years y WHERE y.year = ANY($1::int[]) FOR UPDATE`,
        [years],
      );
      for (const p of previous.rows)
        before[p.year] = { entries: Number(p.entries), sha256: p.sha256 };
      await client.query('DELETE FROM market_calendar_years WHERE year = ANY($1::int[])', [years]);
      for (const year of years) {
        const ofYear = entries.filter((e) => e.date.startsWith(`${year}-`));
        await client.query(
          `INSERT INTO market_calendar_years (year, source, sha256, imported_by) VALUES ($1, $2, $3, $4)`,
          [year, meta.source, calendarDigest(ofYear), meta.audit.actor],
        );
      }
      await client.query(
        `INSERT INTO market_calendar_days (year, day, type, description, open_time, close_time, provisional)
         SELECT extract(year FROM e.date)::int, e.date, e.type, e.description, e.open::time, e.close::time,
                coalesce(e.provisional, false)
           FROM jsonb_to_recordset($1::jsonb)
             AS e(date date, type text, description text, open text, close text, provisional boolean)`,
        [JSON.stringify(entries)],
      );
      const after = { years, entries: entries.length, sha256, source: meta.source };
      const audit = await appendAudit(client, { ...meta.audit, before, after, result: after });
      await client.query('COMMIT');
      return { years, entries: entries.length, sha256, before, auditId: audit.id };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
}

/** A calendar that is re-read now and then: what a long-running process decides with. */
export interface CalendarSource {
  current(): MarketCalendar;
}

/**
 * The trading service's calendar: loaded from PostgreSQL at start and every `intervalMs`, so an
 * import reaches every task within a minute without a restart. A failed refresh keeps the last
 * good calendar (PostgreSQL down blocks entries anyway) and tells `onError`.
 */
export class RefreshingCalendar implements CalendarSource {
  private calendar = new MarketCalendar();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Queryable,
    private readonly options: { intervalMs: number; onError: (error: unknown) => void },
  ) {}

  current(): MarketCalendar {
    return this.calendar;
  }

  /** Reads the imported years once; throws when they cannot be read. */
  async refresh(): Promise<void> {
    this.calendar = new MarketCalendar([...REPOSITORY_CALENDAR, ...(await importedYears(this.db))]);
  }

  /** The first read (its failure is reported, not thrown), then one every interval. */
  async start(): Promise<this> {
    await this.refresh().catch(this.options.onError);
    this.timer = setInterval(() => {
      this.refresh().catch(this.options.onError);
    }, this.options.intervalMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
