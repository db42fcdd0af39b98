import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const QUOTE = 0x22;
const NEWLINE = 0x0a;

/** What a CSV stream held: bytes, records (header included) and the sha256 of the bytes. */
export interface CsvDigestResult {
  readonly bytes: number;
  readonly records: number;
  readonly sha256: string;
}

/**
 * Passes a CSV stream through unchanged while hashing it and counting its records. A newline
 * inside a quoted field (RFC 4180, as PostgreSQL's COPY writes it) does not end a record; an
 * escaped quote (`""`) flips the quoted state twice, so it needs no special case.
 */
export class CsvDigest extends Transform {
  private readonly hash = createHash('sha256');
  private bytes = 0;
  private records = 0;
  private inQuotes = false;
  private lastByte = NEWLINE;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (chunk.length === 0) {
      done(null, chunk);
      return;
    }
    if (!this.inQuotes && chunk.indexOf(QUOTE) === -1) {
      // The common case: no quoted field in this chunk; count newlines with the native search.
      for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, i + 1))
        this.records += 1;
    } else {
      for (let i = 0; i < chunk.length; i += 1) {
        const b = chunk[i];
        if (b === QUOTE) this.inQuotes = !this.inQuotes;
        else if (b === NEWLINE && !this.inQuotes) this.records += 1;
      }
    }
    this.lastByte = chunk[chunk.length - 1] ?? NEWLINE;
    done(null, chunk);
  }

  /** The digest so far; complete once the stream has ended. */
  result(): CsvDigestResult {
    // A last record without a trailing newline still counts.
    const records = this.records + (this.bytes > 0 && this.lastByte !== NEWLINE ? 1 : 0);
    return { bytes: this.bytes, records, sha256: this.hash.copy().digest('hex') };
  }
}

/** Reads a whole CSV stream and returns its digest (used to verify an export read back). */
export async function digestCsv(stream: Readable): Promise<CsvDigestResult> {
  const digest = new CsvDigest();
  await pipeline(stream, digest, async (source: AsyncIterable<Buffer>) => {
    for await (const _ of source) {
      // drain
    }
  });
  return digest.result();
}
