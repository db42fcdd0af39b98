-- The broker's own order caps beside the stage's per-second limit (issue 12): a sliding window of
-- a minute (Kite: 200 orders) and a count per IST trading day (Kite: 3,000), taken in the same
-- statement and under the same bucket lock as the per-second slots, so a slot is granted only when
-- every cap has room. The window's stamps are now kept for the longest window counted (the
-- minute): the second is counted over its tail.
ALTER TABLE order_rate_buckets
  ADD COLUMN day_ist date,
  ADD COLUMN day_count integer NOT NULL DEFAULT 0;

DROP FUNCTION take_order_rate_slot(text, integer, integer, text, integer[]);
DROP FUNCTION take_order_rate_slots(text, integer, integer, text, integer[], integer);

-- As in 0013, plus `p_minute_limit` stamps per `p_minute_ms` (the minute; shorter in tests) and
-- `p_day_limit` messages per IST day (NULL: no such cap). `cap` names the binding cap of a
-- refusal: 'second', 'minute' or 'day'; `retry_ms` is the wait until it frees (0 for 'day': it
-- frees only at the next IST midnight, nothing should wait for that).
CREATE FUNCTION take_order_rate_slots(
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
  in_second := 0;
  WHILE in_second < n AND kept[n - in_second] > t - w LOOP in_second := in_second + 1; END LOOP;
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

CREATE FUNCTION take_order_rate_slot(
  p_bucket text, p_limit integer, p_window_ms integer, p_task text, p_backfill_ms integer[],
  p_minute_limit integer, p_minute_ms integer, p_day_limit integer
) RETURNS TABLE (granted boolean, retry_ms integer, used integer, tasks integer, stamp timestamptz,
                 cap text)
LANGUAGE sql VOLATILE AS $$
  SELECT s.granted > 0, s.retry_ms, s.used, s.tasks, s.stamp, s.cap
    FROM take_order_rate_slots(p_bucket, p_limit, p_window_ms, p_task, p_backfill_ms, 1,
                               p_minute_limit, p_minute_ms, p_day_limit) AS s
$$;

-- As in 0007, but the stamps older than the second stay (the minute counts them): only the second
-- is checked for room. A stamp moved later keeps the minute's count now and frees its slot later.
CREATE OR REPLACE FUNCTION restamp_order_rate_slot_if_room(
  p_bucket text, p_stamp timestamptz, p_limit integer, p_window_ms integer
) RETURNS timestamptz
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  t timestamptz;
  kept timestamptz[];
  i integer;
BEGIN
  SELECT b.stamps INTO kept FROM order_rate_buckets b WHERE b.bucket = p_bucket FOR UPDATE;
  IF NOT FOUND THEN RETURN NULL; END IF;
  t := clock_timestamp();
  i := array_position(kept, p_stamp);
  IF i IS NOT NULL THEN kept := kept[:i - 1] || kept[i + 1:]; END IF;
  IF (SELECT count(*) FROM unnest(kept) AS s
       WHERE s > t - p_window_ms * interval '1 millisecond') >= p_limit THEN
    RETURN NULL;
  END IF;
  UPDATE order_rate_buckets SET stamps = kept || t WHERE bucket = p_bucket;
  RETURN t;
END $$;
