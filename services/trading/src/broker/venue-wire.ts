import type * as z from 'zod';
import { describeIssues } from '../../../../contract/validation';
import type { BrokerOrderStatus } from './broker';

/**
 * Parses what a broker sent with `schema`; a mismatch names the broker, what it was and the first
 * few offending fields with the values the broker sent, as every other edge does.
 */
export function parseVenue<S extends z.ZodType>(
  broker: string,
  schema: S,
  value: unknown,
  what: string,
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = describeIssues(result.error, value).slice(0, 3).join('; ');
  throw new Error(`malformed ${broker} ${what}: ${problems}`);
}

/** A broker's words for an order's final states. */
export interface FinalStatusWords {
  readonly filled: string;
  readonly cancelled: string;
  readonly rejected: string;
}

/** A broker's order status reduced to ours: anything not final is still working. */
export function venueOrderStatus(status: string, words: FinalStatusWords): BrokerOrderStatus {
  switch (status) {
    case words.filled:
      return 'FILLED';
    case words.cancelled:
      return 'CANCELLED';
    case words.rejected:
      return 'REJECTED';
    default:
      return 'OPEN';
  }
}

/** The final statuses in lower case (Upstox's words; Angel One's once lower-cased). */
export const LOWER_CASE_FINAL: FinalStatusWords = {
  filled: 'complete',
  cancelled: 'cancelled',
  rejected: 'rejected',
};
