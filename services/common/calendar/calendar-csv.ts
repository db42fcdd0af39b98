import {
  type CalendarEntry,
  CalendarEntrySchema,
  calendarListProblems,
} from '../../../contract/market-calendar';

/** The columns of an import file, by header name (any order, any case). */
export const CALENDAR_CSV_COLUMNS = [
  'date',
  'type',
  'description',
  'open',
  'close',
  'provisional',
] as const;

/** Columns a file may leave out. */
const OPTIONAL_COLUMNS: readonly string[] = ['open', 'close', 'provisional'];

/** A file's entries, or every bad line named; never some of the entries. */
export type CalendarCsvResult =
  | { readonly ok: true; readonly entries: CalendarEntry[] }
  | { readonly ok: false; readonly errors: string[] };

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** `26-Jan-2026` (how the exchange's downloads write dates) as `2026-01-26`; anything else as is. */
function isoDate(text: string): string {
  const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(text);
  const month = m ? MONTHS.indexOf((m[2] ?? '').toLowerCase()) : -1;
  if (!m || month < 0) return text;
  return `${m[3]}-${String(month + 1).padStart(2, '0')}-${(m[1] ?? '').padStart(2, '0')}`;
}

/** One CSV line's fields: commas separate, double quotes quote (`""` is a quote). */
function fields(line: string): string[] | undefined {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field.trim());
      field = '';
    } else field += c;
  }
  if (quoted) return undefined;
  out.push(field.trim());
  return out;
}

/**
 * Parses and validates an exchange calendar file: a header naming the columns `date, type,
 * description, open, close` (and optionally `provisional`: `true` on a special session whose
 * hours are placeholders), then one exceptional day a line. Dates as `YYYY-MM-DD` or the
 * exchange's `DD-Mon-YYYY`; blank lines and lines starting with `#` are skipped. Every problem is
 * named with its line number (a bad date, a duplicate, a session that closes before it opens); a
 * file with any problem yields no entries at all.
 */
export function parseCalendarCsv(text: string): CalendarCsvResult {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const errors: string[] = [];
  const entries: CalendarEntry[] = [];
  const lineOf: number[] = [];
  const headerAt = lines.findIndex((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  const header =
    headerAt < 0 ? undefined : fields(lines[headerAt] ?? '')?.map((h) => h.toLowerCase());
  const missing = CALENDAR_CSV_COLUMNS.filter(
    (c) => !OPTIONAL_COLUMNS.includes(c) && !header?.includes(c),
  );
  if (!header || missing.length)
    return {
      ok: false,
      errors: [
        `line ${headerAt + 1 || 1}: expected a header with the columns ${CALENDAR_CSV_COLUMNS.join(',')} (missing ${missing.join(', ') || 'all'})`,
      ],
    };
  const column = (row: string[], name: string) => {
    const at = header.indexOf(name);
    return at < 0 ? '' : (row[at] ?? '');
  };
  for (let i = headerAt + 1; i < lines.length; i += 1) {
    const raw = lines[i] ?? '';
    if (raw.trim() === '' || raw.trim().startsWith('#')) continue;
    const line = i + 1;
    const row = fields(raw);
    if (!row) {
      errors.push(`line ${line}: an unclosed quote`);
      continue;
    }
    if (row.length > header.length) {
      errors.push(`line ${line}: ${row.length} fields, the header has ${header.length}`);
      continue;
    }
    const provisional = column(row, 'provisional');
    const candidate = {
      date: isoDate(column(row, 'date')),
      type: column(row, 'type')
        .toUpperCase()
        .replace(/[\s-]+/g, '_'),
      description: column(row, 'description'),
      ...(column(row, 'open') ? { open: column(row, 'open') } : {}),
      ...(column(row, 'close') ? { close: column(row, 'close') } : {}),
      // `true` marks placeholder hours; any other text is refused by the schema, naming it.
      ...(provisional ? { provisional: provisional.toLowerCase() === 'true' || provisional } : {}),
    };
    const parsed = CalendarEntrySchema.safeParse(candidate);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = String(issue.path[0] ?? '');
        const value = field ? (candidate as Record<string, unknown>)[field] : undefined;
        const said = value === undefined || issue.message.includes(String(value));
        errors.push(
          `line ${line}: ${field ? `${field}: ` : ''}${issue.message}${said ? '' : ` (got ${JSON.stringify(value)})`}`,
        );
      }
      continue;
    }
    entries.push(parsed.data);
    lineOf.push(line);
  }
  for (const p of calendarListProblems(entries))
    errors.push(`line ${lineOf[p.index]}: ${p.message} (first on line ${lineOf[p.other]})`);
  if (errors.length === 0 && entries.length === 0) errors.push('the file has no entries');
  return errors.length ? { ok: false, errors } : { ok: true, entries };
}
