-- The gate in front of a broker's token generations, one row per stage and broker, shared by every
-- CLI, function and dashboard of the stage (the Upstox runbook's "broker cooldown"):
--   * a claim (`claim_id`, `held_until`): one generation at a time, so that two operators on two
--     machines cannot both send an exchange to a broker that may be about to put us in cooldown;
--     a claim ends with its exchange, or by itself at `held_until` if its holder died;
--   * a cooldown (`cooldown_until`): a failed generation stops every generation at the broker
--     until then, with the token that failed and the broker's words.
-- Times are the database's clock: one clock for every machine that asks.
CREATE TABLE broker_token_gate (
  stage          text NOT NULL,
  broker         text NOT NULL CHECK (broker IN ('kite', 'upstox', 'angelone')),
  claim_id       uuid,
  claimed_by     text,
  claimed_token  text,
  held_until     timestamptz,
  cooldown_until timestamptz,
  failed_token   text,
  failure        text CHECK (length(failure) <= 2000),
  failed_at      timestamptz,
  failed_by      text,
  updated_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (stage, broker),
  CHECK ((claim_id IS NULL) = (held_until IS NULL))
);
