import { addDays } from '../../common/time';
import { digestCsv } from '../export/csv-digest';
import type { ObjectStore } from '../platform/ports';
import {
  manifestKey,
  parseManifest,
  type RecordObject,
  type RecordsManifest,
  recordKey,
  sha256Of,
} from './record-files';
import { manifestDays } from './write-records';

/** One day as `records verify` found it. */
export interface DayVerification {
  readonly day: string;
  readonly ok: boolean;
  /** Rows per kind, when the manifest could be read. */
  readonly rows?: Readonly<Record<string, number>>;
  readonly problems: readonly string[];
}

/** The result of `records verify`: every day checked, and the first one that is broken. */
export interface RecordsVerification {
  readonly ok: boolean;
  readonly location: string;
  readonly from?: string;
  readonly to?: string;
  readonly days: readonly DayVerification[];
  readonly firstBroken?: { readonly day: string; readonly problem: string };
  readonly summary: string;
}

/** Which days to check and which days must have records. */
export interface VerifyRecordsOptions {
  /** YYYY-MM-DD, inclusive. @default the first day of the chain */
  readonly from?: string;
  /** YYYY-MM-DD, inclusive. @default the last day whose records are due */
  readonly to?: string;
  /** The last day whose records should be stored by now (today after the run's time). */
  readonly lastDueDay: string;
  /** Whether a day must have records (trading days). */
  readonly isTradingDay: (day: string) => boolean;
}

async function checkObject(store: ObjectStore, o: RecordObject, day: string): Promise<string[]> {
  if (o.key !== recordKey(o.kind, day))
    return [`${o.kind}: the manifest names ${o.key}, not ${recordKey(o.kind, day)}`];
  const stream = await store.download(o.key);
  if (!stream) return [`${o.key} is missing`];
  const d = await digestCsv(stream);
  if (d.bytes < o.bytes) return [`${o.key} is truncated (${d.bytes} of ${o.bytes} bytes)`];
  if (d.sha256 !== o.sha256 || d.bytes !== o.bytes)
    return [
      `${o.key} was changed (sha256 ${d.sha256.slice(0, 12)}..., manifest ${o.sha256.slice(0, 12)}...)`,
    ];
  if (Math.max(d.records - 1, 0) !== o.rows)
    return [`${o.key}: ${d.records - 1} rows, the manifest says ${o.rows}`];
  return [];
}

/**
 * Re-reads the records in `store`: every trading day in the range has a manifest, every object
 * it names is there with its bytes, rows and sha256, and every manifest is the one the next day
 * chained to (sha256 of its bytes) with windows that meet. Streams the objects; holds none.
 */
export async function verifyRecords(
  store: ObjectStore,
  options: VerifyRecordsOptions,
): Promise<RecordsVerification> {
  const stored = await manifestDays(store);
  const first = stored[0];
  const from = options.from ?? first;
  const to = options.to ?? options.lastDueDay;
  const problems = new Map<string, string[]>();
  const rows = new Map<string, Record<string, number>>();
  const note = (day: string, problem: string) =>
    problems.set(day, [...(problems.get(day) ?? []), problem]);
  if (!first || !from) {
    const detail = `no records stored in ${store.location}/records/`;
    return {
      ok: false,
      location: store.location,
      days: [],
      summary: detail,
      ...(options.from ? { firstBroken: { day: options.from, problem: detail } } : {}),
    };
  }
  // Trading days from the chain's start (or --from) to --to (at most the last due day) must all be there.
  const expected: string[] = [];
  const end = to < options.lastDueDay ? to : options.lastDueDay;
  for (let d = from < first ? first : from; d <= end; d = addDays(d, 1))
    if (options.isTradingDay(d) && !stored.includes(d)) expected.push(d);
  for (const d of expected) note(d, "no manifest: the day's records are missing");
  const inRange = stored.filter((d) => d >= from && d <= to);
  const manifests = new Map<string, { bytes: Buffer; manifest?: RecordsManifest }>();
  const load = async (day: string) => {
    const cached = manifests.get(day);
    if (cached) return cached;
    const bytes = await store.get(manifestKey(day));
    if (!bytes) return undefined;
    const read = parseManifest(bytes);
    const entry = 'manifest' in read ? { bytes, manifest: read.manifest } : { bytes };
    manifests.set(day, entry);
    return entry;
  };
  for (const day of inRange) {
    const entry = await load(day);
    if (!entry) {
      note(day, `${manifestKey(day)} is missing`);
      continue;
    }
    const read = parseManifest(entry.bytes);
    if ('problem' in read) {
      note(day, `${manifestKey(day)}: ${read.problem}`);
      continue;
    }
    const m = read.manifest;
    if (m.tradingDay !== day)
      note(day, `${manifestKey(day)} says it is the manifest of ${m.tradingDay}`);
    rows.set(day, Object.fromEntries(m.objects.map((o) => [o.kind, o.rows])));
    for (const o of m.objects) for (const p of await checkObject(store, o, day)) note(day, p);
    // The chain: this day's link must be the sha256 of the manifest stored before it.
    const previousDay = stored.filter((d) => d < day).at(-1);
    if (!previousDay) {
      if (m.previous)
        note(day, `chain broken: it chains to ${m.previous.tradingDay}, whose manifest is missing`);
      continue;
    }
    // A link that fails is the earlier day's fault when that day is checked too (it was changed).
    const blame = previousDay >= from ? previousDay : day;
    if (!m.previous || m.previous.tradingDay !== previousDay) {
      note(
        m.previous && m.previous.tradingDay > previousDay ? m.previous.tradingDay : day,
        `chain broken: ${day} chains to ${m.previous?.tradingDay ?? 'nothing'}, but the day stored before it is ${previousDay}` +
          (m.previous && m.previous.tradingDay > previousDay
            ? ` (the manifest of ${m.previous.tradingDay} is missing)`
            : ''),
      );
      continue;
    }
    const prev = await load(previousDay);
    if (!prev) continue;
    const digest = sha256Of(prev.bytes);
    if (digest !== m.previous.sha256)
      note(
        blame,
        `chain broken: the manifest of ${previousDay} is not the one ${day} chained to (sha256 ${digest.slice(0, 12)}..., recorded ${m.previous.sha256.slice(0, 12)}...): edited after ${day} was written`,
      );
    else if (prev.manifest && prev.manifest.window.to !== m.window.from)
      note(
        day,
        `chain broken: its window starts at ${m.window.from}, ${previousDay}'s ended at ${prev.manifest.window.to}`,
      );
  }
  const allDays = [...new Set([...inRange, ...problems.keys()])].sort();
  const days: DayVerification[] = allDays.map((day) => {
    const p = problems.get(day) ?? [];
    const r = rows.get(day);
    return { day, ok: p.length === 0, ...(r ? { rows: r } : {}), problems: p };
  });
  const broken = days.find((d) => !d.ok);
  const firstBroken = broken ? { day: broken.day, problem: broken.problems[0] ?? '' } : undefined;
  const summary = firstBroken
    ? `BROKEN: first broken day ${firstBroken.day}: ${firstBroken.problem}`
    : `OK: ${inRange.length} day(s) from ${inRange[0] ?? from} to ${inRange.at(-1) ?? to}, every object and link verified`;
  return {
    ok: !firstBroken,
    location: store.location,
    from,
    to,
    days,
    ...(firstBroken ? { firstBroken } : {}),
    summary,
  };
}
