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
