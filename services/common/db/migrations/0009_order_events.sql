-- Every state change of an order, as a row: the five-year records keep what happened to each
-- order (placed, acknowledged, partly filled, filled, cancelled, rejected with its reason), not
-- only its last state. Written by a trigger, so no code path that changes an order can skip it.
CREATE TABLE order_events (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  order_id         uuid NOT NULL REFERENCES orders (id),
  -- The order's trading day: the records of a day take the events of that day's orders.
  trading_day      date NOT NULL,
  -- clock_timestamp(): the time of the change, not of its transaction's start.
  occurred_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  -- NULL for the first event (the order as placed) and for the rows written by this migration.
  previous_status  text,
  status           text NOT NULL,
  status_reason    text,
  filled_quantity  integer NOT NULL,
  avg_fill_price   numeric(18, 4),
  broker_order_id  text
);
CREATE INDEX order_events_trading_day_idx ON order_events (trading_day, id);
CREATE INDEX order_events_order_idx ON order_events (order_id);

CREATE FUNCTION order_events_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.status IS NOT DISTINCT FROM OLD.status
     AND NEW.status_reason IS NOT DISTINCT FROM OLD.status_reason
     AND NEW.filled_quantity = OLD.filled_quantity
     AND NEW.broker_order_id IS NOT DISTINCT FROM OLD.broker_order_id THEN
    RETURN NULL;
  END IF;
  INSERT INTO order_events (order_id, trading_day, previous_status, status, status_reason,
                            filled_quantity, avg_fill_price, broker_order_id)
  VALUES (NEW.id, NEW.trading_day, CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END, NEW.status,
          NEW.status_reason, NEW.filled_quantity, NEW.avg_fill_price, NEW.broker_order_id);
  RETURN NULL;
END $$;

CREATE TRIGGER order_events_record AFTER INSERT OR UPDATE ON orders
  FOR EACH ROW EXECUTE FUNCTION order_events_record();

-- Orders placed before this migration: their last known state, stamped when it was reached.
INSERT INTO order_events (order_id, trading_day, occurred_at, status, status_reason,
                          filled_quantity, avg_fill_price, broker_order_id)
SELECT id, trading_day, updated_at, status, status_reason, filled_quantity, avg_fill_price,
       broker_order_id
  FROM orders ORDER BY created_at, id;
