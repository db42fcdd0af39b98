/** The message of anything thrown, for a line in a step table, a log or an error. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
