import * as z from 'zod';
import type { ObjectStore } from '../platform/ports';
import { digestCsv } from './csv-digest';

/** The columns of the export, in order: one row per execution (a fill with its order). */
export const EXPORT_COLUMNS = [
  'trade_id',
  'trading_day',
  'filled_at_utc',
  'filled_at_ist',
  'strategy_id',
  'symbol',
  'side',
  'quantity',
  'price',
  'realized_pnl',
  'closes_position',
  'order_id',
  'client_order_id',
  'broker_order_id',
  'order_type',
  // The exchange algo ID the order was sent under (empty for orders from before algo IDs).
  'algo_id',
] as const;

/** Where the day's export and its manifest are stored. */
export function exportKeys(day: string): { readonly data: string; readonly manifest: string } {
  return {
    data: `exports/trades/${day}/trades.csv`,
    manifest: `exports/trades/${day}/manifest.json`,
  };
}

/** The manifest written beside each export: what a reader checks the CSV against. */
export const ExportManifestSchema = z.object({
  tradingDay: z.string(),
  stage: z.string(),
  key: z.string(),
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  columns: z.array(z.string()),
  generatedAt: z.string(),
});
export type ExportManifest = z.output<typeof ExportManifestSchema>;

/**
 * Reads the day's export back and checks it against its manifest (bytes, sha256, rows):
 * what the export procedure and the evening checklist both call.
 */
export async function verifyExport(
  objects: ObjectStore,
  day: string,
): Promise<{ readonly ok: boolean; readonly detail: string; readonly manifest?: ExportManifest }> {
  const keys = exportKeys(day);
  const raw = await objects.get(keys.manifest);
  if (!raw) return { ok: false, detail: `no manifest at ${keys.manifest}` };
  const parsed = ExportManifestSchema.safeParse(JSON.parse(raw.toString('utf8')));
  if (!parsed.success) return { ok: false, detail: `manifest ${keys.manifest} is malformed` };
  const manifest = parsed.data;
  const stream = await objects.download(manifest.key);
  if (!stream)
    return { ok: false, detail: `manifest names ${manifest.key}, which is missing`, manifest };
  const actual = await digestCsv(stream);
  const problems = [
    actual.bytes !== manifest.bytes ? `bytes ${actual.bytes} != ${manifest.bytes}` : '',
    actual.sha256 !== manifest.sha256 ? 'sha256 differs' : '',
    actual.records - 1 !== manifest.rows ? `rows ${actual.records - 1} != ${manifest.rows}` : '',
  ].filter(Boolean);
  return problems.length
    ? { ok: false, detail: `${manifest.key}: ${problems.join(', ')}`, manifest }
    : {
        ok: true,
        detail: `${manifest.rows} trades, ${manifest.bytes} bytes, sha256 ${manifest.sha256.slice(0, 12)}...`,
        manifest,
      };
}
