import { randomUUID } from 'node:crypto';
import type { TokenBroker } from '../../../contract/broker-tokens';
import type { Queryable } from '../db/queryable';

/** A broker's cooldown: no generation at the broker until `until`. */
export interface TokenCooldown {
  /** Epoch ms. */
  readonly until: number;
  readonly failedToken: string;
  /** The broker's own words for the failure. */
  readonly failure: string;
  readonly failedBy: string;
  /** Epoch ms. */
  readonly failedAt: number;
}

/** The gate of a stage's broker as it is now (the database's clock decides "now"). */
export interface TokenGateState {
  readonly cooldown?: TokenCooldown;
  /** A generation under way: who, which token, until when its claim holds. */
  readonly busy?: { readonly by: string; readonly token: string; readonly until: number };
}

/** The right to send ONE exchange to the broker, or why not. */
export type TokenClaim =
  | { readonly granted: true; readonly id: string }
  | { readonly granted: false; readonly state: TokenGateState };

/**
 * The durable gate of a broker's token generations (see migration 0011): a claim before each
 * exchange, a cooldown after a failed one. The only way to a broker's login exchange.
 */
export interface TokenGate {
  state(broker: TokenBroker): Promise<TokenGateState>;
  /** Claims the next exchange for `token`; refused while a cooldown runs or another holds it. */
  claim(broker: TokenBroker, token: string, by: string): Promise<TokenClaim>;
  /** The exchange worked: the claim ends. */
  succeeded(broker: TokenBroker, claimId: string): Promise<void>;
  /** The exchange failed: the claim ends and the broker's cooldown starts; returns it. */
  failed(
    broker: TokenBroker,
    claimId: string,
    failure: {
      readonly token: string;
      readonly by: string;
      readonly words: string;
      readonly cooldownMs: number;
    },
  ): Promise<TokenCooldown>;
}

interface GateRow {
  claim_id: string | null;
  claimed_by: string | null;
  claimed_token: string | null;
  held_until: Date | null;
  cooldown_until: Date | null;
  failed_token: string | null;
  failure: string | null;
  failed_at: Date | null;
  failed_by: string | null;
  cooling: boolean;
  held: boolean;
}

const COLUMNS = `claim_id, claimed_by, claimed_token, held_until, cooldown_until, failed_token,
  failure, failed_at, failed_by,
  coalesce(cooldown_until > clock_timestamp(), false) AS cooling,
  coalesce(held_until > clock_timestamp(), false) AS held`;

function stateOf(row: GateRow | undefined): TokenGateState {
  if (!row) return {};
  return {
    ...(row.cooling && row.cooldown_until
      ? {
          cooldown: {
            until: row.cooldown_until.getTime(),
            failedToken: row.failed_token ?? '?',
            failure: row.failure ?? '',
            failedBy: row.failed_by ?? '?',
            failedAt: row.failed_at?.getTime() ?? 0,
          },
        }
      : {}),
    ...(row.held && row.held_until
      ? {
          busy: {
            by: row.claimed_by ?? '?',
            token: row.claimed_token ?? '?',
            until: row.held_until.getTime(),
          },
        }
      : {}),
  };
}

/**
 * The gate in PostgreSQL. A claim is one statement: the upsert locks the stage's row, so two
 * claims at once are ordered and the second sees the first (its claim, or the cooldown its failure
 * started). A claim whose holder died ends by itself after `claimTtlMs`.
 */
export class PgTokenGate implements TokenGate {
  constructor(
    private readonly db: Queryable,
    private readonly stage: string,
    /** How long a claim holds without an answer: longer than one exchange may take. */
    private readonly claimTtlMs = 120_000,
  ) {}

  async state(broker: TokenBroker): Promise<TokenGateState> {
    const { rows } = await this.db.query<GateRow>(
      `SELECT ${COLUMNS} FROM broker_token_gate WHERE stage = $1 AND broker = $2`,
      [this.stage, broker],
    );
    return stateOf(rows[0]);
  }

  async claim(broker: TokenBroker, token: string, by: string): Promise<TokenClaim> {
    const id = randomUUID();
    const { rows } = await this.db.query<{ claim_id: string }>(
      `INSERT INTO broker_token_gate AS g (stage, broker, claim_id, claimed_by, claimed_token, held_until)
       VALUES ($1, $2, $3, $4, $5, clock_timestamp() + $6 * interval '1 millisecond')
       ON CONFLICT (stage, broker) DO UPDATE
         SET claim_id = EXCLUDED.claim_id, claimed_by = EXCLUDED.claimed_by,
             claimed_token = EXCLUDED.claimed_token, held_until = EXCLUDED.held_until,
             updated_at = clock_timestamp()
         WHERE (g.cooldown_until IS NULL OR g.cooldown_until <= clock_timestamp())
           AND (g.held_until IS NULL OR g.held_until <= clock_timestamp())
       RETURNING claim_id`,
      [this.stage, broker, id, by, token, this.claimTtlMs],
    );
    if (rows[0]?.claim_id === id) return { granted: true, id };
    return { granted: false, state: await this.state(broker) };
  }

  async succeeded(broker: TokenBroker, claimId: string): Promise<void> {
    await this.db.query(
      `UPDATE broker_token_gate
          SET claim_id = NULL, claimed_by = NULL, claimed_token = NULL, held_until = NULL,
              updated_at = clock_timestamp()
        WHERE stage = $1 AND broker = $2 AND claim_id = $3`,
      [this.stage, broker, claimId],
    );
  }

  async failed(
    broker: TokenBroker,
    claimId: string,
    failure: { token: string; by: string; words: string; cooldownMs: number },
  ): Promise<TokenCooldown> {
    // A failure starts the cooldown even if the claim had lapsed meanwhile; only its own claim ends.
    const { rows } = await this.db.query<GateRow>(
      `UPDATE broker_token_gate
          SET cooldown_until = clock_timestamp() + $4 * interval '1 millisecond',
              failed_token = $5, failure = left($6, 2000), failed_at = clock_timestamp(),
              failed_by = $7,
              claim_id = CASE WHEN claim_id = $3 THEN NULL ELSE claim_id END,
              claimed_by = CASE WHEN claim_id = $3 THEN NULL ELSE claimed_by END,
              claimed_token = CASE WHEN claim_id = $3 THEN NULL ELSE claimed_token END,
              held_until = CASE WHEN claim_id = $3 THEN NULL ELSE held_until END,
              updated_at = clock_timestamp()
        WHERE stage = $1 AND broker = $2
        RETURNING ${COLUMNS}`,
      [this.stage, broker, claimId, failure.cooldownMs, failure.token, failure.words, failure.by],
    );
    const cooldown = stateOf(rows[0]).cooldown;
    if (!cooldown) throw new Error(`the ${broker} cooldown of ${this.stage} was not recorded`);
    return cooldown;
  }
}
