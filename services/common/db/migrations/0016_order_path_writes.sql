-- The order path's writes, made cheaper (issue 15) without changing what is recorded or granted.
--
-- 1. Order events per statement. The row trigger of 0009 ran a PL/pgSQL call and an INSERT for
--    every order row written (three per order: placed, acknowledged, filled); a batch of orders
--    now writes its events in one INSERT from the statement's transition tables. Same rows,
--    same columns, same order of ids within an order.
-- 2. An acknowledgement written together with the fill that follows it (one UPDATE of the order,
--    NEW -> PARTIAL/FILLED with the broker's order id) still records the acknowledgement as an
--    event of its own, before the fill's: the records show NEW -> ACK -> FILLED as before.
-- 3. The order-rate window counts the stamps within its last second by binary search: 0015
--    walked them one by one, thousands per batch at a high registered rate.
DROP TRIGGER order_events_record ON orders;
DROP FUNCTION order_events_record();

CREATE FUNCTION order_events_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO order_events (order_id, trading_day, previous_status, status, status_reason,
                            filled_quantity, avg_fill_price, broker_order_id)
  SELECT id, trading_day, NULL, status, status_reason, filled_quantity, avg_fill_price,
         broker_order_id
    FROM (SELECT row_number() OVER () AS rn, * FROM placed) p
   ORDER BY rn;
  RETURN NULL;
END $$;

CREATE FUNCTION order_events_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH j AS (
    SELECT n.rn, n.id, n.trading_day, n.status, n.status_reason, n.filled_quantity,
           n.avg_fill_price, n.broker_order_id, o.status AS old_status,
           o.status_reason AS old_reason, o.filled_quantity AS old_filled,
           o.avg_fill_price AS old_avg, o.broker_order_id AS old_broker_order_id,
           (o.status = 'NEW' AND o.broker_order_id IS NULL AND n.broker_order_id IS NOT NULL
            AND n.status IN ('PARTIAL', 'FILLED')) AS acknowledged_too
      FROM (SELECT row_number() OVER () AS rn, * FROM changed_to) n
      JOIN changed_from o USING (id)
  )
  INSERT INTO order_events (order_id, trading_day, previous_status, status, status_reason,
                            filled_quantity, avg_fill_price, broker_order_id)
  SELECT id, trading_day, previous_status, status, status_reason, filled_quantity,
         avg_fill_price, broker_order_id
    FROM (
      -- The acknowledgement folded into the fill's write: an event of its own, first.
      SELECT rn, 1 AS step, id, trading_day, old_status AS previous_status, 'ACK' AS status,
             NULL::text AS status_reason, old_filled AS filled_quantity,
             old_avg AS avg_fill_price, broker_order_id
        FROM j WHERE acknowledged_too
      UNION ALL
      SELECT rn, 2, id, trading_day,
             CASE WHEN acknowledged_too THEN 'ACK' ELSE old_status END,
             status, status_reason, filled_quantity, avg_fill_price, broker_order_id
        FROM j
       -- As in 0009: a write that changes none of these is not an event.
       WHERE status IS DISTINCT FROM old_status
          OR status_reason IS DISTINCT FROM old_reason
          OR filled_quantity <> old_filled
          OR broker_order_id IS DISTINCT FROM old_broker_order_id
    ) e
   ORDER BY rn, step;
  RETURN NULL;
END $$;

-- One trigger per event: a trigger with transition tables fires on one kind of statement only.
CREATE TRIGGER order_events_on_insert AFTER INSERT ON orders
  REFERENCING NEW TABLE AS placed
  FOR EACH STATEMENT EXECUTE FUNCTION order_events_on_insert();
CREATE TRIGGER order_events_on_update AFTER UPDATE ON orders
  REFERENCING OLD TABLE AS changed_from NEW TABLE AS changed_to
  FOR EACH STATEMENT EXECUTE FUNCTION order_events_on_update();

-- As in 0015, but for the count of the second (see 3. above).
CREATE OR REPLACE FUNCTION take_order_rate_slots(
  p_bucket text, p_limit integer, p_window_ms integer, p_task text, p_backfill_ms integer[],
  p_count integer, p_minute_limit integer, p_minute_ms integer, p_day_limit integer
) RETURNS TABLE (granted integer, retry_ms integer, used integer, tasks integer, stamp timestamptz,
                 cap text)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  t timestamptz;
  w interval := p_window_ms * interval '1 millisecond';
  wm interval := p_minute_ms * interval '1 millisecond';
  keep interval;
  kept timestamptz[];
  seen jsonb;
  today date;
  day date;
  day_n integer;
  head integer := 1;
  n integer;
  in_second integer;
  in_minute integer;
  room integer;
  wait_ms integer;
  lo integer;
  hi integer;
  mid integer;
BEGIN
  IF p_count < 1 THEN
    granted := 0; retry_ms := 0; used := NULL; tasks := NULL; stamp := NULL; cap := NULL;
    RETURN NEXT;
    RETURN;
  END IF;
  keep := CASE WHEN p_minute_limit IS NULL THEN w ELSE greatest(w, wm) END;
  SELECT b.stamps, b.tasks, b.day_ist, b.day_count INTO kept, seen, day, day_n
    FROM order_rate_buckets b WHERE b.bucket = p_bucket FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO order_rate_buckets (bucket) VALUES (p_bucket) ON CONFLICT (bucket) DO NOTHING;
    SELECT b.stamps, b.tasks, b.day_ist, b.day_count INTO kept, seen, day, day_n
      FROM order_rate_buckets b WHERE b.bucket = p_bucket FOR UPDATE;
  END IF;
  t := clock_timestamp();
  today := (t AT TIME ZONE 'Asia/Kolkata')::date;
  IF day IS DISTINCT FROM today THEN day_n := 0; END IF;
  IF cardinality(p_backfill_ms) > 0 THEN
    kept := ARRAY(
      SELECT s FROM (
        SELECT unnest(kept) AS s
        UNION ALL SELECT t - a * interval '1 millisecond' FROM unnest(p_backfill_ms) AS a
      ) x WHERE s > t - keep ORDER BY s);
    -- Sent on the task's local share while the database was away: they count for the day too.
    day_n := day_n + cardinality(p_backfill_ms);
  ELSE
    WHILE head <= cardinality(kept) AND kept[head] <= t - keep LOOP
      head := head + 1;
    END LOOP;
    kept := kept[head:];
  END IF;
  IF coalesce((seen ->> p_task)::double precision, 0) < extract(epoch FROM t) - 1 THEN
    seen := (SELECT coalesce(jsonb_object_agg(k, v), '{}'::jsonb) FROM jsonb_each(seen) AS e(k, v)
              WHERE (v #>> '{}')::double precision > extract(epoch FROM t) - 60)
            || jsonb_build_object(p_task, extract(epoch FROM t));
  END IF;
  -- The window is sorted: the stamps within the last second are its tail.
  n := cardinality(kept);
  -- Binary search for the first stamp within the second: a window may hold thousands.
  lo := 1;
  hi := n + 1;
  WHILE lo < hi LOOP
    mid := (lo + hi) / 2;
    IF kept[mid] > t - w THEN hi := mid; ELSE lo := mid + 1; END IF;
  END LOOP;
  in_second := n - lo + 1;
  in_minute := n;
  room := p_limit - in_second;
  cap := 'second';
  IF p_minute_limit IS NOT NULL AND p_minute_limit - in_minute < room THEN
    room := p_minute_limit - in_minute; cap := 'minute';
  END IF;
  IF p_day_limit IS NOT NULL AND p_day_limit - day_n < room THEN
    room := p_day_limit - day_n; cap := 'day';
  END IF;
  granted := greatest(0, least(p_count, room));
  IF granted > 0 THEN
    kept := kept || array_fill(t, ARRAY[granted]);
    day_n := day_n + granted;
    stamp := t;
  ELSE
    stamp := NULL;
  END IF;
  n := cardinality(kept);
  retry_ms := 0;
  IF granted < p_count THEN
    IF p_day_limit IS NOT NULL AND day_n >= p_day_limit THEN
      cap := 'day';
    ELSE
      -- Each full window must lose (count - limit + 1) stamps before a slot frees; the binding
      -- cap is the one that frees last.
      cap := NULL;
      IF in_second + granted >= p_limit THEN
        retry_ms := greatest(1, ceil(extract(epoch FROM (kept[n - p_limit + 1] + w - t)) * 1000))::integer;
        cap := 'second';
      END IF;
      IF p_minute_limit IS NOT NULL AND n >= p_minute_limit THEN
        wait_ms := greatest(1, ceil(extract(epoch FROM
          (kept[n - p_minute_limit + 1] + wm - t)) * 1000))::integer;
        IF wait_ms > retry_ms THEN retry_ms := wait_ms; cap := 'minute'; END IF;
      END IF;
    END IF;
  ELSE
    cap := NULL;
  END IF;
  UPDATE order_rate_buckets SET stamps = kept, tasks = seen, day_ist = today, day_count = day_n
   WHERE bucket = p_bucket;
  -- `used`: the per-second window's count (what the rate view and metric show).
  used := in_second + granted;
  tasks := (SELECT count(*) FROM jsonb_object_keys(seen))::integer;
  RETURN NEXT;
END $$;
