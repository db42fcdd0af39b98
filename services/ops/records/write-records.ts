import { PassThrough, type Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Pool } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { withClient } from '../../common/db/client';
import { CsvDigest, type CsvDigestResult, digestCsv } from '../export/csv-digest';
import { ObjectExistsError, type ObjectStore } from '../platform/ports';
import {
  dayOfManifestKey,
  MANIFESTS_PREFIX,
  manifestBytes,
  manifestKey,
  parseManifest,
  RECORD_KINDS,
  type RecordKind,
  type RecordObject,
  type RecordsManifest,
  recordKey,
  sha256Of,
} from './record-files';
import { type RecordWindow, recordCopySql } from './record-sources';

/** What writing a day's records came to. */
export type WriteRecordsOutcome =
  | {
      /** `written`: stored now; `unchanged`: already stored, and the database still agrees. */
      readonly status: 'written' | 'unchanged';
      readonly manifest: RecordsManifest;
      readonly manifestSha256: string;
      readonly detail: string;
    }
  | { readonly status: 'refused'; readonly detail: string };

/** What to write: the stage, the trading day and its cut-off (the window's exclusive end). */
export interface WriteRecordsRequest {
  readonly stage: string;
  readonly day: string;
  /** Epoch ms; the next day's window starts here. */
  readonly cutoffMs: number;
  readonly now: () => number;
  readonly signal?: AbortSignal;
}

/**
 * Streams one kind from PostgreSQL (`COPY ... TO STDOUT`), hashing and counting on the way, into
 * `store` under `key` (only if nothing is there yet), or, without a store, nowhere: the digest of
 * what the database holds now.
 */
export async function streamRecord(
  db: Pool,
  kind: RecordKind,
  window: RecordWindow,
  target?: { readonly store: ObjectStore; readonly key: string },
  signal?: AbortSignal,
): Promise<CsvDigestResult> {
  signal?.throwIfAborted();
  return withClient(db, `the ${kind} records of ${window.day}`, async (client) => {
    const source: Readable = client.query(copyTo(recordCopySql(kind, window)));
    const digest = new CsvDigest();
    const stop = () => source.destroy(signal?.reason ?? new Error('records aborted'));
    signal?.addEventListener('abort', stop, { once: true });
    try {
      if (!target) {
        const sink = new Writable({ write: (_chunk, _enc, done) => done() });
        await pipeline(source, digest, sink);
      } else {
        const body = new PassThrough({ highWaterMark: 1 << 20 });
        // The upload consumes `body` while the pipeline fills it; either failing fails both.
        const upload = target.store
          .upload(target.key, body, 'text/csv; charset=utf-8', { ifAbsent: true })
          .catch((error: unknown) => {
            // A refused upload may stop reading `body`: end the pipeline rather than stall it.
            source.destroy();
            body.destroy();
            throw error;
          });
        const piped = pipeline(source, digest, body);
        const [uploaded, copied] = await Promise.allSettled([upload, piped]);
        // The store's error first: the pipeline's is then only its echo.
        if (uploaded.status === 'rejected') throw uploaded.reason;
        if (copied.status === 'rejected') throw copied.reason;
      }
    } finally {
      signal?.removeEventListener('abort', stop);
    }
    return digest.result();
  });
}

/** Every day that has a manifest, oldest first. */
export async function manifestDays(store: ObjectStore): Promise<string[]> {
  const keys = await store.list(MANIFESTS_PREFIX);
  return keys.flatMap((k) => dayOfManifestKey(k) ?? []).sort();
}

const asObject = (kind: RecordKind, day: string, d: CsvDigestResult): RecordObject => ({
  kind,
  key: recordKey(kind, day),
  rows: Math.max(d.records - 1, 0),
  bytes: d.bytes,
  sha256: d.sha256,
});

/** A day already written, compared with what the database holds for its window now. */
async function compareWritten(
  db: Pool,
  bytes: Buffer,
  day: string,
  signal?: AbortSignal,
): Promise<WriteRecordsOutcome> {
  const read = parseManifest(bytes);
  if ('problem' in read)
    return { status: 'refused', detail: `${manifestKey(day)}: ${read.problem}` };
  const { manifest } = read;
  const window: RecordWindow = { day, ...manifest.window };
  const differs: string[] = [];
  for (const o of manifest.objects) {
    const now = await streamRecord(db, o.kind, window, undefined, signal);
    if (now.sha256 !== o.sha256)
      differs.push(`${o.kind} (${asObject(o.kind, day, now).rows} rows now, ${o.rows} stored)`);
  }
  if (differs.length)
    return {
      status: 'refused',
      detail: `the records of ${day} are already stored and the database now differs: ${differs.join(', ')}; not overwritten (Object Lock keeps what was written)`,
    };
  return {
    status: 'unchanged',
    manifest,
    manifestSha256: sha256Of(bytes),
    detail: `already stored for ${day}; the database still matches every object`,
  };
}

/**
 * Writes the day's records: each kind streamed to `records/<kind>/<date>/<kind>.csv`, then the
 * manifest, chained to the previous day's. Every write is create-only. A day already written is
 * compared, not rewritten; objects left by an interrupted run are kept when the database still
 * gives the same bytes. Refuses (and writes nothing) when the day would not be the chain's last.
 */
export async function writeDayRecords(
  db: Pool,
  store: ObjectStore,
  request: WriteRecordsRequest,
): Promise<WriteRecordsOutcome> {
  const { day, signal } = request;
  const existing = await store.get(manifestKey(day));
  if (existing) return compareWritten(db, existing, day, signal);
  const days = await manifestDays(store);
  const later = days.filter((d) => d > day);
  if (later.length)
    return {
      status: 'refused',
      detail: `the records of ${later[0]} are already stored: ${day} cannot join the chain after them`,
    };
  const previousDay = days.filter((d) => d < day).at(-1);
  let previous: RecordsManifest['previous'] = null;
  let from: string | null = null;
  if (previousDay) {
    const bytes = await store.get(manifestKey(previousDay));
    const read = bytes ? parseManifest(bytes) : { problem: 'it is missing' };
    if (!bytes || 'problem' in read)
      return {
        status: 'refused',
        detail: `the manifest of ${previousDay} cannot be read (${'problem' in read ? read.problem : ''}): run "tradeops records verify"`,
      };
    previous = { tradingDay: previousDay, sha256: sha256Of(bytes) };
    from = read.manifest.window.to;
  }
  const to = new Date(request.cutoffMs).toISOString();
  if (from !== null && Date.parse(from) >= request.cutoffMs)
    return {
      status: 'refused',
      detail: `the cut-off of ${day} (${to}) is not after the previous day's (${from})`,
    };
  const window: RecordWindow = { day, from, to };
  const objects: RecordObject[] = [];
  for (const kind of RECORD_KINDS) {
    const key = recordKey(kind, day);
    try {
      objects.push(
        asObject(kind, day, await streamRecord(db, kind, window, { store, key }, signal)),
      );
    } catch (error) {
      if (!(error instanceof ObjectExistsError)) throw error;
      // Left by an interrupted run: kept if it is what the database gives now.
      const [stored, now] = await Promise.all([
        store.download(key).then((s) => (s ? digestCsv(s) : undefined)),
        streamRecord(db, kind, window, undefined, signal),
      ]);
      if (stored?.sha256 !== now.sha256)
        return {
          status: 'refused',
          detail: `${key} is already stored with other content than the database gives now: not overwritten`,
        };
      objects.push(asObject(kind, day, now));
    }
  }
  const manifest: RecordsManifest = {
    version: 1,
    stage: request.stage,
    tradingDay: day,
    window: { from, to },
    previous,
    objects,
    generatedAt: new Date(request.now()).toISOString(),
  };
  const bytes = manifestBytes(manifest);
  try {
    await store.put(manifestKey(day), bytes, 'application/json', { ifAbsent: true });
  } catch (error) {
    if (!(error instanceof ObjectExistsError)) throw error;
    // Another run wrote the day first: compare with what it stored.
    const stored = await store.get(manifestKey(day));
    if (stored) return compareWritten(db, stored, day, signal);
    throw error;
  }
  const rows = objects.map((o) => `${o.rows} ${o.kind}`).join(', ');
  return {
    status: 'written',
    manifest,
    manifestSha256: sha256Of(bytes),
    detail: `${rows} to ${store.location}/records/ (manifest sha256 ${sha256Of(bytes).slice(0, 12)}...)`,
  };
}
