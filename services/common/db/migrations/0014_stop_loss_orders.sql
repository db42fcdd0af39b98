-- Stop-loss orders (Kite's SL and SL-M): an order that waits at the broker until the last price
-- reaches its trigger, then enters as a limit (SL) or a market (SL-M) order. Both our books and
-- the paper venue's take the type and the trigger; a stop without a trigger, or a trigger on an
-- order that is not a stop, cannot be written.
ALTER TABLE orders
  DROP CONSTRAINT orders_order_type_check,
  ADD CONSTRAINT orders_order_type_check CHECK (order_type IN ('MARKET', 'LIMIT', 'SL', 'SL-M')),
  ADD COLUMN trigger_price numeric(18, 4) CHECK (trigger_price > 0),
  ADD CONSTRAINT orders_trigger_of_stop CHECK ((order_type IN ('SL', 'SL-M')) = (trigger_price IS NOT NULL));

ALTER TABLE paper.orders
  DROP CONSTRAINT orders_order_type_check,
  ADD CONSTRAINT orders_order_type_check CHECK (order_type IN ('MARKET', 'LIMIT', 'SL', 'SL-M')),
  ADD COLUMN trigger_price numeric(18, 4) CHECK (trigger_price > 0),
  ADD CONSTRAINT orders_trigger_of_stop CHECK ((order_type IN ('SL', 'SL-M')) = (trigger_price IS NOT NULL)),
  -- When the venue saw the last price reach the trigger (NULL: not a stop, or not yet).
  ADD COLUMN triggered_at timestamptz;

-- A modify (quantity, limit or trigger of a working order) is a message the venue counts too.
ALTER TABLE paper.messages
  DROP CONSTRAINT messages_kind_check,
  ADD CONSTRAINT messages_kind_check CHECK (kind IN ('NEW', 'CANCEL', 'MODIFY'));
