-- Service-wide controls that must outlive a task: pause and the risk halt (HARD_HALT leaves only
-- by an audited reset, so a restart must not clear it).
CREATE TABLE service_controls (
  name        text PRIMARY KEY CHECK (name IN ('pause', 'risk_halt')),
  active      boolean NOT NULL,
  detail      jsonb NOT NULL DEFAULT '{}',
  updated_by  text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The protective stop of an open position: portfolio heat is computed from it after a restart.
ALTER TABLE positions ADD COLUMN stop_price numeric(18, 4) CHECK (stop_price > 0);

-- Flatten requests (from the SSM parameter) carried out, per strategy: whichever task holds a
-- strategy flattens it once per request id, even across restarts and lease moves.
CREATE TABLE flatten_requests (
  request_id   text NOT NULL,
  strategy_id  text NOT NULL,
  reason       text NOT NULL,
  requester    text NOT NULL,
  handled_by   text NOT NULL,
  handled_at   timestamptz NOT NULL DEFAULT now(),
  result       jsonb,
  PRIMARY KEY (request_id, strategy_id)
);

-- The paper venue: what a broker would know, kept apart from our own books so that restart
-- reconciliation compares two independent records.
CREATE SCHEMA paper;
CREATE SEQUENCE paper.order_seq;
CREATE SEQUENCE paper.fill_seq;
CREATE TABLE paper.orders (
  broker_order_id  text PRIMARY KEY,
  client_order_id  text NOT NULL UNIQUE,
  strategy_id      text NOT NULL,
  symbol           text NOT NULL,
  side             text NOT NULL CHECK (side IN ('BUY', 'SELL')),
  order_type       text NOT NULL CHECK (order_type IN ('MARKET', 'LIMIT')),
  quantity         integer NOT NULL CHECK (quantity > 0),
  limit_price      numeric(18, 4),
  filled_quantity  integer NOT NULL DEFAULT 0,
  avg_fill_price   numeric(18, 4),
  status           text NOT NULL CHECK (status IN ('OPEN', 'FILLED', 'CANCELLED', 'REJECTED')),
  reason           text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX paper_orders_open_idx ON paper.orders (strategy_id) WHERE status = 'OPEN';
CREATE TABLE paper.fills (
  fill_id          text PRIMARY KEY,
  broker_order_id  text NOT NULL REFERENCES paper.orders (broker_order_id),
  quantity         integer NOT NULL CHECK (quantity > 0),
  price            numeric(18, 4) NOT NULL,
  filled_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX paper_fills_order_idx ON paper.fills (broker_order_id);
