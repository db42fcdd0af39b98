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
-- `stamp` is the database time of a granted slot (NULL on a refusal): a message sent later than
-- its slot allowed can have its stamp moved to when it was really sent (below).
CREATE FUNCTION take_order_rate_slot(
  p_bucket text, p_limit integer, p_window_ms integer, p_task text, p_backfill_ms integer[]
) RETURNS TABLE (granted boolean, retry_ms integer, used integer, tasks integer, stamp timestamptz)
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
    stamp := t;
  ELSE
    -- The window must lose (count - limit + 1) stamps before a slot frees.
    retry_ms := greatest(1, ceil(extract(epoch FROM
      (kept[cardinality(kept) - p_limit + 1] + w - t)) * 1000))::integer;
    stamp := NULL;
  END IF;
  UPDATE order_rate_buckets SET stamps = kept, tasks = seen WHERE bucket = p_bucket;
  used := cardinality(kept);
  tasks := (SELECT count(*) FROM jsonb_object_keys(seen))::integer;
  RETURN NEXT;
END $$;

-- Moves the stamp `p_stamp` of `p_bucket` to now (the message went out late; now is at or after
-- its send). Moving a stamp later keeps every window within the limit as long as this runs before
-- the old stamp would have left the window (the caller sends late only well inside it). A stamp
-- already gone from the window is added back at now: the message was sent and must count.
CREATE FUNCTION restamp_order_rate_slot(p_bucket text, p_stamp timestamptz)
RETURNS void LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  kept timestamptz[];
  i integer;
BEGIN
  SELECT b.stamps INTO kept FROM order_rate_buckets b WHERE b.bucket = p_bucket FOR UPDATE;
  IF NOT FOUND THEN RETURN; END IF;
  i := array_position(kept, p_stamp);
  IF i IS NOT NULL THEN kept := kept[:i - 1] || kept[i + 1:]; END IF;
  UPDATE order_rate_buckets
     SET stamps = ARRAY(SELECT s FROM unnest(kept || clock_timestamp()) AS s ORDER BY s)
   WHERE bucket = p_bucket;
END $$;

-- An entry whose slot was granted too long before it could be sent (a busy process) is not sent
-- on that slot. Instead of refusing it, the door asks once more: its stamp moves to now if the
-- window ending now has room for it without the old stamp, checked and moved under the bucket's
-- row lock as a grant is. Answers the new stamp, or NULL (no room: nothing changes, the old stamp
-- stays and the entry is refused).
CREATE FUNCTION restamp_order_rate_slot_if_room(
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
  kept := ARRAY(SELECT s FROM unnest(kept) AS s
                 WHERE s > t - p_window_ms * interval '1 millisecond' ORDER BY s);
  IF cardinality(kept) >= p_limit THEN RETURN NULL; END IF;
  UPDATE order_rate_buckets SET stamps = kept || t WHERE bucket = p_bucket;
  RETURN t;
END $$;
