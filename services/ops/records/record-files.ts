import { createHash } from 'node:crypto';
import * as z from 'zod';
import { isIsoDate } from '../../../contract/dates';
import { RECORDS_PREFIX } from '../../../contract/names';

/** What a day's records hold, one CSV object each. */
export const RECORD_KINDS = [
  'order-events',
  'fills',
  'risk-events',
  'control-audit',
  'checklist-reports',
] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

/** `records/<kind>/<date>/<kind>.csv`. */
export function recordKey(kind: RecordKind, day: string): string {
  return `${RECORDS_PREFIX}${kind}/${day}/${kind}.csv`;
}

/** Where the manifests live: one per day, `records/manifests/<date>/manifest.json`. */
export const MANIFESTS_PREFIX = `${RECORDS_PREFIX}manifests/`;

/** `records/manifests/<date>/manifest.json`. */
export function manifestKey(day: string): string {
  return `${MANIFESTS_PREFIX}${day}/manifest.json`;
}

/** The day of a manifest key, or undefined for any other key. */
export function dayOfManifestKey(key: string): string | undefined {
  const m = /^records\/manifests\/(\d{4}-\d{2}-\d{2})\/manifest\.json$/.exec(key);
  return m?.[1] && isIsoDate(m[1]) ? m[1] : undefined;
}

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 in hex');
const isoTime = z.iso.datetime();

/** One object of a day's records, as its manifest describes it. */
export const RecordObjectSchema = z
  .object({
    kind: z.enum(RECORD_KINDS),
    key: z.string().min(1),
    rows: z.number().int().nonnegative(),
    bytes: z.number().int().nonnegative(),
    sha256: sha256Hex,
  })
  .strict();
export type RecordObject = z.output<typeof RecordObjectSchema>;

/**
 * The manifest of one day's records. `window` is what the time-stamped kinds cover (order events,
 * risk events, audit rows, reports): from the previous day's cut-off to this one's, so every row
 * lands in exactly one day; fills are those of the trading day. `previous` is the sha256 of the
 * previous day's manifest bytes: the days form a chain.
 */
export const RecordsManifestSchema = z
  .object({
    version: z.literal(1),
    stage: z.string().min(1),
    tradingDay: z.string().refine(isIsoDate, 'expected YYYY-MM-DD'),
    window: z.object({ from: isoTime.nullable(), to: isoTime }).strict(),
    previous: z
      .object({
        tradingDay: z.string().refine(isIsoDate, 'expected YYYY-MM-DD'),
        sha256: sha256Hex,
      })
      .strict()
      .nullable(),
    objects: z.array(RecordObjectSchema).length(RECORD_KINDS.length),
    generatedAt: isoTime,
  })
  .strict();
export type RecordsManifest = z.output<typeof RecordsManifestSchema>;

/** The bytes a manifest is stored as (and so what the next day's chain link hashes). */
export function manifestBytes(manifest: RecordsManifest): Buffer {
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
}

/** sha256 (hex) of bytes: the digest of a manifest as stored. */
export function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A manifest read back, or why it cannot be. */
export function parseManifest(
  bytes: Buffer,
): { readonly manifest: RecordsManifest } | { readonly problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { problem: 'the manifest is not JSON (edited or truncated)' };
  }
  const parsed = RecordsManifestSchema.safeParse(json);
  if (!parsed.success)
    return {
      problem: `the manifest is malformed: ${parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; ')}`,
    };
  return { manifest: parsed.data };
}
