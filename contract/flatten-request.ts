import * as z from 'zod';
import { AlgoIdSchema } from './algo-id';

/**
 * The flatten request parameter's value (`/algo-trading/<stage>/flatten_request`), JSON: the
 * emergency stop writes it, every trading task flattens once per new id. With `algoId` (a kill of
 * one algo) a task halts that algo and flattens only its strategies; without, everything.
 */
export const FlattenRequestSchema = z.object({
  id: z.string().min(1).max(128),
  reason: z.string().min(1).max(500),
  requester: z.string().min(1).max(200),
  algoId: AlgoIdSchema.optional(),
});
export type FlattenRequest = z.output<typeof FlattenRequestSchema>;

/** The text to store in the parameter for `request`. */
export function flattenRequestValue(request: FlattenRequest): string {
  // Built from the type, not parsed: a request the tasks reject is still better written than lost.
  return JSON.stringify({
    id: request.id,
    reason: request.reason,
    requester: request.requester,
    ...(request.algoId === undefined ? {} : { algoId: request.algoId }),
  });
}

/** The id of the flatten request that asks for nothing. */
export const NO_FLATTEN_REQUEST_ID = 'none';

/** The first value of the flatten request parameter: an id that asks for nothing. */
export const NO_FLATTEN_REQUEST = flattenRequestValue({
  id: NO_FLATTEN_REQUEST_ID,
  reason: 'no flatten requested',
  requester: 'cdk',
});
