-- The client's order-rate limit, shared by every trading task of the stage: the stamps of the
-- messages sent within the current window, and the tasks seen in the last minute (their number
-- sizes each task's share of the limit while the database is unreachable).
CREATE TABLE order_rate_buckets (
  bucket  text PRIMARY KEY,
  stamps  timestamptz[] NOT NULL DEFAULT '{}',
  tasks   jsonb NOT NULL DEFAULT '{}'
);

-- Takes one slot of `p_bucket` if fewer than `p_limit` were taken in the last `p_window_ms`, in one
-- round trip. The bucket row lock orders concurrent callers, and the clock is read only once the
-- lock is held, so the stamps are in grant order and no window ever holds more than the limit.
-- `p_backfill_ms`: ages of messages the task sent on its own share while the database was down;
-- they count against the window as if stamped then. A refusal says when the next slot frees.
CREATE FUNCTION take_order_rate_slot(
  p_bucket text, p_limit integer, p_window_ms integer, p_task text, p_backfill_ms integer[]
) RETURNS TABLE (granted boolean, retry_ms integer, used integer, tasks integer)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  t timestamptz;
  w interval := p_window_ms * interval '1 millisecond';
  kept timestamptz[];
  seen jsonb;
BEGIN
  INSERT INTO order_rate_buckets (bucket) VALUES (p_bucket) ON CONFLICT (bucket) DO NOTHING;
  SELECT b.stamps, b.tasks INTO kept, seen FROM order_rate_buckets b
   WHERE b.bucket = p_bucket FOR UPDATE;
  t := clock_timestamp();
  kept := ARRAY(
    SELECT s FROM (
      SELECT unnest(kept) AS s
      UNION ALL SELECT t - a * interval '1 millisecond' FROM unnest(p_backfill_ms) AS a
    ) x WHERE s > t - w ORDER BY s);
  seen := (SELECT coalesce(jsonb_object_agg(k, v), '{}'::jsonb) FROM jsonb_each(seen) AS e(k, v)
            WHERE (v #>> '{}')::double precision > extract(epoch FROM t) - 60)
          || jsonb_build_object(p_task, extract(epoch FROM t));
  granted := cardinality(kept) < p_limit;
  IF granted THEN
    kept := kept || t;
    retry_ms := 0;
  ELSE
    -- The window must lose (count - limit + 1) stamps before a slot frees.
    retry_ms := greatest(1, ceil(extract(epoch FROM
      (kept[cardinality(kept) - p_limit + 1] + w - t)) * 1000))::integer;
  END IF;
  UPDATE order_rate_buckets SET stamps = kept, tasks = seen WHERE bucket = p_bucket;
  used := cardinality(kept);
  tasks := (SELECT count(*) FROM jsonb_object_keys(seen))::integer;
  RETURN NEXT;
END $$;
