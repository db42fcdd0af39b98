-- A slot now says which stamp it took, so that a message sent later than its slot allowed (an exit
-- or a cancel that must still go on a starved machine) can have its stamp moved to when it was
-- really sent: the window then counts it where the venue will see it.
DROP FUNCTION take_order_rate_slot(text, integer, integer, text, integer[]);

-- As in 0010, plus `stamp`: the database time of the granted slot (NULL on a refusal).
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
