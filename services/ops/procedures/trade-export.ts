import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Pool } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { isIsoDate } from '../../../contract/dates';
import { withClient } from '../../common/db/client';
import { type Check, fail, pass, skipped } from '../checks/framework';
import type { ChecklistContext } from '../checks/support';
import { CsvDigest, type CsvDigestResult } from '../export/csv-digest';
import {
  EXPORT_COLUMNS,
  type ExportManifest,
  exportKeys,
  verifyExport,
} from '../export/export-files';
import type { ObjectStore, OpsContext } from '../platform/ports';
import { type ChecklistReport, runChecklist, type ScheduledRequest } from './checklist';

/**
 * The day's trades in trade order, one row per execution. Times in UTC (ISO 8601) and in IST,
 * whatever the session's time zone. `day` must be a validated YYYY-MM-DD.
 */
export function exportQuery(day: string): string {
  if (!isIsoDate(day)) throw new Error(`invalid trading day ${JSON.stringify(day)}`);
  return `SELECT trade_id, trading_day,
           to_char(filled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS filled_at_utc,
           to_char(filled_at AT TIME ZONE 'Asia/Kolkata', 'YYYY-MM-DD HH24:MI:SS') AS filled_at_ist,
           strategy_id, symbol, side, quantity, price, realized_pnl, closes_position,
           order_id, client_order_id, broker_order_id, order_type, algo_id
      FROM trades WHERE trading_day = '${day}'::date ORDER BY trade_id`;
}

/** The export as CSV (RFC 4180, with a header). */
const exportSql = (day: string) =>
  `COPY (${exportQuery(day)}) TO STDOUT WITH (FORMAT csv, HEADER true)`;

/**
 * Streams the day's trades from PostgreSQL (`COPY ... TO STDOUT`) into the object store under
 * `key`, hashing and counting on the way. The store's upload is all or nothing (multipart in S3,
 * a temporary file locally), so an interrupted export leaves no object under `key`.
 */
export async function streamExport(
  db: Pool,
  objects: ObjectStore,
  day: string,
  key: string,
  signal?: AbortSignal,
): Promise<CsvDigestResult> {
  signal?.throwIfAborted();
  return withClient(db, `the trade export of ${day}`, async (client) => {
    const source: Readable = client.query(copyTo(exportSql(day)));
    const digest = new CsvDigest();
    const body = new PassThrough({ highWaterMark: 1 << 20 });
    const stop = () => source.destroy(signal?.reason ?? new Error('export aborted'));
    if (signal?.aborted) stop();
    signal?.addEventListener('abort', stop, { once: true });
    try {
      // The upload consumes `body` while the pipeline fills it; either failing fails both.
      const upload = objects.upload(key, body, 'text/csv; charset=utf-8');
      const piped = pipeline(source, digest, body);
      await Promise.all([upload, piped]);
    } finally {
      signal?.removeEventListener('abort', stop);
    }
    return digest.result();
  });
}

/**
 * The trade export (16:05 IST): the day's trades to `exports/trades/<date>/trades.csv`, then a
 * manifest (rows, bytes, sha256), then the object read back and checked against the manifest and
 * the database's own count. Runs again safely: the same day's export is replaced whole.
 */
export async function tradeExport(
  ctx: OpsContext,
  request: ScheduledRequest,
): Promise<ChecklistReport> {
  let written: { readonly digest: CsvDigestResult; readonly day: string } | undefined;

  const exportStep: Check<ChecklistContext> = {
    name: 'export',
    severity: 'HIGH',
    timeoutMs: 10 * 60_000,
    async run(c, signal) {
      if (!c.db) return fail('no database access from here');
      const { data } = exportKeys(c.day);
      const digest = await streamExport(c.db, c.objects, c.day, data, signal);
      written = { digest, day: c.day };
      return pass(
        `${digest.records - 1} trades, ${digest.bytes} bytes to ${c.objects.location}/${data}`,
      );
    },
  };
  const manifestStep: Check<ChecklistContext> = {
    name: 'manifest',
    severity: 'HIGH',
    async run(c) {
      if (!written) return skipped('nothing was exported');
      const keys = exportKeys(c.day);
      const manifest: ExportManifest = {
        tradingDay: c.day,
        stage: c.stage,
        key: keys.data,
        rows: written.digest.records - 1,
        bytes: written.digest.bytes,
        sha256: written.digest.sha256,
        columns: [...EXPORT_COLUMNS],
        generatedAt: new Date(c.now()).toISOString(),
      };
      await c.objects.put(keys.manifest, JSON.stringify(manifest, null, 2), 'application/json');
      return pass(`${keys.manifest}: ${manifest.rows} rows, sha256 ${manifest.sha256}`, manifest);
    },
  };
  const verifyStep: Check<ChecklistContext> = {
    name: 'verify',
    severity: 'HIGH',
    timeoutMs: 10 * 60_000,
    async run(c) {
      if (!written) return skipped('nothing was exported');
      const [check, count] = await Promise.all([
        verifyExport(c.objects, c.day),
        c.db
          ? c.db.query<{ n: string }>('SELECT count(*) AS n FROM trades WHERE trading_day = $1', [
              c.day,
            ])
          : undefined,
      ]);
      if (!check.ok) return fail(`read back: ${check.detail}`);
      const inDatabase = count ? Number(count.rows[0]?.n) : undefined;
      if (inDatabase !== undefined && inDatabase !== check.manifest?.rows)
        return fail(
          `the database has ${inDatabase} trades for ${c.day}, the export ${check.manifest?.rows}`,
        );
      return pass(`read back and matched: ${check.detail}`);
    },
  };

  return runChecklist(ctx, [exportStep, manifestStep, verifyStep], {
    procedure: 'trade-export',
    afterClose: true,
    sequential: true,
    ...request,
  });
}
