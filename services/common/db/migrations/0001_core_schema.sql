-- Core schema of the trading desk: orders and fills, positions, risk events, the hash-chained
-- control audit, checklist reports and strategy leases.

CREATE TABLE orders (
  id               uuid PRIMARY KEY,
  -- Caller's idempotency key: a retried submit with the same key is the same order.
  client_order_id  text NOT NULL UNIQUE,
  strategy_id      text NOT NULL,
  symbol           text NOT NULL,
  side             text NOT NULL CHECK (side IN ('BUY', 'SELL')),
  order_type       text NOT NULL CHECK (order_type IN ('MARKET', 'LIMIT')),
  quantity         integer NOT NULL CHECK (quantity > 0),
  limit_price      numeric(18, 4) CHECK (limit_price > 0),
  -- Protective stop of an entry: the distance to it is the trade's risk.
  stop_price       numeric(18, 4) CHECK (stop_price > 0),
  reduce_only      boolean NOT NULL DEFAULT false,
  status           text NOT NULL CHECK (status IN ('NEW', 'ACK', 'PARTIAL', 'FILLED', 'CANCELLED', 'REJECTED')),
  filled_quantity  integer NOT NULL DEFAULT 0 CHECK (filled_quantity >= 0 AND filled_quantity <= quantity),
  avg_fill_price   numeric(18, 4),
  broker_order_id  text UNIQUE,
  status_reason    text,
  -- Lease fencing token the order was sent under (NULL for operator orders).
  fence_token      bigint,
  trading_day      date NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_working_idx ON orders (status) WHERE status IN ('NEW', 'ACK', 'PARTIAL');
CREATE INDEX orders_trading_day_idx ON orders (trading_day);

CREATE TABLE fills (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  broker_fill_id  text NOT NULL UNIQUE,
  order_id        uuid NOT NULL REFERENCES orders (id),
  strategy_id     text NOT NULL,
  symbol          text NOT NULL,
  side            text NOT NULL CHECK (side IN ('BUY', 'SELL')),
  quantity        integer NOT NULL CHECK (quantity > 0),
  price           numeric(18, 4) NOT NULL CHECK (price > 0),
  -- P&L this fill realized by reducing a position (0 for an opening fill).
  realized_pnl    numeric(18, 4) NOT NULL DEFAULT 0,
  closes_position boolean NOT NULL DEFAULT false,
  filled_at       timestamptz NOT NULL,
  trading_day     date NOT NULL
);
CREATE INDEX fills_trading_day_idx ON fills (trading_day, id);
CREATE INDEX fills_order_idx ON fills (order_id);

CREATE TABLE positions (
  strategy_id   text NOT NULL,
  symbol        text NOT NULL,
  quantity      integer NOT NULL,
  avg_price     numeric(18, 4) NOT NULL DEFAULT 0,
  realized_pnl  numeric(18, 4) NOT NULL DEFAULT 0,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (strategy_id, symbol)
);

-- A trade is one execution, with the order it belongs to: what the export and reports read.
CREATE VIEW trades AS
SELECT f.id AS trade_id, f.trading_day, f.filled_at, f.strategy_id, f.symbol, f.side, f.quantity,
       f.price, f.realized_pnl, f.closes_position, o.id AS order_id, o.client_order_id,
       o.broker_order_id, o.order_type
  FROM fills f JOIN orders o ON o.id = f.order_id;

CREATE TABLE risk_events (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  occurred_at  timestamptz NOT NULL DEFAULT now(),
  kind         text NOT NULL CHECK (kind IN ('REJECT', 'BREACH', 'STATE')),
  rule         text NOT NULL,
  strategy_id  text,
  symbol       text,
  detail       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX risk_events_occurred_idx ON risk_events (occurred_at);

-- Every control action: who, when, why, what changed. Append-only and hash-chained: each row
-- holds the previous row's hash, and its own hash covers that plus all of its fields.
CREATE SEQUENCE control_audit_id_seq;
CREATE TABLE control_audit (
  -- Set by the chain trigger under its lock, so id order is chain order.
  id           bigint PRIMARY KEY,
  occurred_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor        text NOT NULL CHECK (actor <> ''),
  source       text NOT NULL CHECK (source <> ''),
  action       text NOT NULL CHECK (action <> ''),
  reason       text NOT NULL CHECK (reason <> ''),
  stage        text NOT NULL,
  before_state jsonb,
  after_state  jsonb,
  outcome      text NOT NULL CHECK (outcome IN ('OK', 'FAILED', 'PARTIAL', 'REFUSED')),
  result       jsonb,
  prev_hash    text NOT NULL,
  hash         text NOT NULL UNIQUE
);

-- The one definition of a row's hash: used by the insert trigger and by `audit verify`.
CREATE FUNCTION control_audit_hash(
  p_prev_hash text, p_id bigint, p_occurred_at timestamptz, p_actor text, p_source text,
  p_action text, p_reason text, p_stage text, p_before jsonb, p_after jsonb, p_outcome text,
  p_result jsonb
) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(concat_ws(E'\x1f',
    p_prev_hash, p_id::text,
    to_char(p_occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    p_actor, p_source, p_action, p_reason, p_stage,
    coalesce(p_before::text, 'null'), coalesce(p_after::text, 'null'), p_outcome,
    coalesce(p_result::text, 'null')), 'UTF8')), 'hex')
$$;

CREATE FUNCTION control_audit_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  last_hash text;
BEGIN
  -- Serialize writers so that two rows never claim the same predecessor.
  -- The id is drawn under the lock: ids taken before it could commit out of chain order.
  -- (Writers use READ COMMITTED, so the SELECT below sees the previous writer's commit.)
  PERFORM pg_advisory_xact_lock(hashtext('control_audit_chain'));
  SELECT hash INTO last_hash FROM control_audit ORDER BY id DESC LIMIT 1;
  NEW.id := nextval('control_audit_id_seq');
  NEW.occurred_at := clock_timestamp();
  NEW.prev_hash := coalesce(last_hash, repeat('0', 64));
  NEW.hash := control_audit_hash(NEW.prev_hash, NEW.id, NEW.occurred_at, NEW.actor, NEW.source,
    NEW.action, NEW.reason, NEW.stage, NEW.before_state, NEW.after_state, NEW.outcome, NEW.result);
  RETURN NEW;
END $$;

CREATE FUNCTION control_audit_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'control_audit is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER control_audit_chain BEFORE INSERT ON control_audit
  FOR EACH ROW EXECUTE FUNCTION control_audit_chain();
CREATE TRIGGER control_audit_no_update BEFORE UPDATE OR DELETE ON control_audit
  FOR EACH ROW EXECUTE FUNCTION control_audit_is_append_only();
CREATE TRIGGER control_audit_no_truncate BEFORE TRUNCATE ON control_audit
  FOR EACH STATEMENT EXECUTE FUNCTION control_audit_is_append_only();

-- Reports of the scheduled procedures (morning/evening checklists, export, backup...).
CREATE TABLE checklist_runs (
  id           uuid PRIMARY KEY,
  procedure    text NOT NULL,
  trading_day  date NOT NULL,
  started_at   timestamptz NOT NULL,
  finished_at  timestamptz,
  status       text NOT NULL CHECK (status IN ('RUNNING', 'READY', 'NOT_READY', 'PASS', 'WARN', 'FAIL', 'SKIPPED')),
  triggered_by text NOT NULL,
  summary      text,
  report_key   text
);
CREATE INDEX checklist_runs_latest_idx ON checklist_runs (procedure, started_at DESC);

CREATE TABLE checklist_results (
  run_id       uuid NOT NULL REFERENCES checklist_runs (id) ON DELETE CASCADE,
  position     integer NOT NULL,
  name         text NOT NULL,
  severity     text NOT NULL CHECK (severity IN ('CRITICAL', 'HIGH', 'MEDIUM', 'LOW')),
  status       text NOT NULL CHECK (status IN ('PASS', 'WARN', 'FAIL', 'SKIPPED')),
  detail       text NOT NULL,
  duration_ms  integer NOT NULL CHECK (duration_ms >= 0),
  data         jsonb,
  PRIMARY KEY (run_id, position)
);

-- Each strategy runs in exactly one task. The fence token grows with every new holder, and an
-- order is only written while its sender still holds the token it was sent under.
CREATE TABLE strategy_leases (
  strategy_id  text PRIMARY KEY,
  holder       text,
  fence_token  bigint NOT NULL DEFAULT 0,
  expires_at   timestamptz NOT NULL DEFAULT '-infinity',
  acquired_at  timestamptz,
  renewed_at   timestamptz
);
