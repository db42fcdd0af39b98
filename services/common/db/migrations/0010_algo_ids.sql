-- SEBI's retail algo framework: every order carries its strategy's exchange algo ID, and one algo
-- can be halted on its own, as the exchange's per-algo kill switch can.

-- The algo ID the order was sent under. Orders placed before this migration keep NULL: the
-- mapping from strategy to algo ID lives in the strategies file, not in the database, and an ID
-- assigned now is not one the exchange saw on those orders; the records must not claim it was.
ALTER TABLE orders ADD COLUMN algo_id text CHECK (algo_id ~ '^[1-9][0-9]{0,17}$');
CREATE INDEX orders_algo_day_idx ON orders (algo_id, trading_day) WHERE algo_id IS NOT NULL;

-- The export and the reports read trades: they show the algo ID too (a new last column).
CREATE OR REPLACE VIEW trades AS
SELECT f.id AS trade_id, f.trading_day, f.filled_at, f.strategy_id, f.symbol, f.side, f.quantity,
       f.price, f.realized_pnl, f.closes_position, o.id AS order_id, o.client_order_id,
       o.broker_order_id, o.order_type, o.algo_id
  FROM fills f JOIN orders o ON o.id = f.order_id;

-- Halted algos, shared by every task and kept across restarts: an algo halted here takes no new
-- entries on any task until an audited resume clears it (the row stays, with who cleared it).
CREATE TABLE algo_halts (
  algo_id     text PRIMARY KEY CHECK (algo_id ~ '^[1-9][0-9]{0,17}$'),
  halted      boolean NOT NULL,
  reason      text NOT NULL,
  updated_by  text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
