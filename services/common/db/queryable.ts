import type { QueryResult, QueryResultRow } from 'pg';

/** A pool or a client in a transaction: data-access functions accept either. */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<QueryResult<R>>;
}
