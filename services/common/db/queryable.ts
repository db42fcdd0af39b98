import type { QueryResult, QueryResultRow } from 'pg';

/** A pool or a client in a transaction: data-access functions accept either. */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<QueryResult<R>>;
}

/** A `numeric` column as pg returns it (text), as a number; undefined for NULL. */
export const numeric = (v: string | null): number | undefined =>
  v === null ? undefined : Number(v);
