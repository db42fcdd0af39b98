-- Entries take their order-rate slots in the statement that records them, a batch at a time (group
-- commit): `take_order_rate_slots` grants up to `p_count` slots at once, in one pass over the
-- window, under the bucket's row lock that `take_order_rate_slot` takes. The lock is held until the
-- batch commits, so the stamps and the orders they were granted for are durable together, and a
-- batch that fails takes no slot. `take_order_rate_slot` (exits and cancels) becomes the case of one.
--
-- The window stays sorted (every writer appends the database clock read under the lock, or sorts),
-- so expired stamps are cut from its head without sorting it again: the cost per call no longer
-- grows with the stamps in the window unless a backfill must be merged in.
CREATE FUNCTION take_order_rate_slots(
  p_bucket text, p_limit integer, p_window_ms integer, p_task text, p_backfill_ms integer[],
  p_count integer
) RETURNS TABLE (granted integer, retry_ms integer, used integer, tasks integer, stamp timestamptz)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  t timestamptz;
  w interval := p_window_ms * interval '1 millisecond';
  kept timestamptz[];
  seen jsonb;
  head integer := 1;
BEGIN
  IF p_count < 1 THEN
    -- Nothing asked (a batch of exits): no lock, nothing counted.
    granted := 0; retry_ms := 0; used := NULL; tasks := NULL; stamp := NULL;
    RETURN NEXT;
    RETURN;
  END IF;
  SELECT b.stamps, b.tasks INTO kept, seen FROM order_rate_buckets b
   WHERE b.bucket = p_bucket FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO order_rate_buckets (bucket) VALUES (p_bucket) ON CONFLICT (bucket) DO NOTHING;
    SELECT b.stamps, b.tasks INTO kept, seen FROM order_rate_buckets b
     WHERE b.bucket = p_bucket FOR UPDATE;
  END IF;
  t := clock_timestamp();
  IF cardinality(p_backfill_ms) > 0 THEN
    kept := ARRAY(
      SELECT s FROM (
        SELECT unnest(kept) AS s
        UNION ALL SELECT t - a * interval '1 millisecond' FROM unnest(p_backfill_ms) AS a
      ) x WHERE s > t - w ORDER BY s);
  ELSE
    WHILE head <= cardinality(kept) AND kept[head] <= t - w LOOP
      head := head + 1;
    END LOOP;
    kept := kept[head:];
  END IF;
  -- The task's last-seen time is rewritten at most once a second: a batch a millisecond would
  -- otherwise rebuild the map on every call.
  IF coalesce((seen ->> p_task)::double precision, 0) < extract(epoch FROM t) - 1 THEN
    seen := (SELECT coalesce(jsonb_object_agg(k, v), '{}'::jsonb) FROM jsonb_each(seen) AS e(k, v)
              WHERE (v #>> '{}')::double precision > extract(epoch FROM t) - 60)
            || jsonb_build_object(p_task, extract(epoch FROM t));
  END IF;
  granted := greatest(0, least(p_count, p_limit - cardinality(kept)));
  IF granted > 0 THEN
    kept := kept || array_fill(t, ARRAY[granted]);
    stamp := t;
  ELSE
    stamp := NULL;
  END IF;
  IF granted < p_count THEN
    -- The window must lose (count - limit + 1) stamps before a slot frees.
    retry_ms := greatest(1, ceil(extract(epoch FROM
      (kept[cardinality(kept) - p_limit + 1] + w - t)) * 1000))::integer;
  ELSE
    retry_ms := 0;
  END IF;
  UPDATE order_rate_buckets SET stamps = kept, tasks = seen WHERE bucket = p_bucket;
  used := cardinality(kept);
  tasks := (SELECT count(*) FROM jsonb_object_keys(seen))::integer;
  RETURN NEXT;
END $$;

CREATE OR REPLACE FUNCTION take_order_rate_slot(
  p_bucket text, p_limit integer, p_window_ms integer, p_task text, p_backfill_ms integer[]
) RETURNS TABLE (granted boolean, retry_ms integer, used integer, tasks integer, stamp timestamptz)
LANGUAGE sql VOLATILE AS $$
  SELECT s.granted > 0, s.retry_ms, s.used, s.tasks, s.stamp
    FROM take_order_rate_slots(p_bucket, p_limit, p_window_ms, p_task, p_backfill_ms, 1) AS s
$$;

-- The window of a busy client holds thousands of stamps and is rewritten by every grant: stored
-- out of line but not compressed, so a grant does not compress and decompress it each time.
ALTER TABLE order_rate_buckets ALTER COLUMN stamps SET STORAGE EXTERNAL;

-- Whether `p_holder` holds the strategy under `p_token` now: VOLATILE, so it reads the leases as
-- they are when it runs, not as the calling statement's snapshot saw them. A batch of orders may
-- wait for the bucket's lock; it checks its fences again once it holds it, so an order is never
-- written on a lease that another task took over meanwhile.
CREATE FUNCTION holds_strategy_lease(p_strategy text, p_holder text, p_token bigint)
RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM strategy_leases
                  WHERE strategy_id = p_strategy AND holder = p_holder AND fence_token = p_token
                    AND expires_at > clock_timestamp());
END $$;
