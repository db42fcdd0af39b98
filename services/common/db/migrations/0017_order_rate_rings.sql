-- The client's order-rate windows as counts per time slice (issue 15). Since 0007 a bucket kept
-- one stamp per message granted: at a registered algo's rate (thousands a second) that array was
-- kilobytes, read, cut, grown and written back to TOAST by every batch inside the bucket's lock
-- (a quarter of the order batch's database time, and about 4 KB of WAL per order). A ring of
-- counts has a fixed size whatever the rate: about 100 slices per window, the newest last.
--
-- What changes: a grant counts while any part of its slice is inside the window, so up to one
-- slice (1% of the window) longer than its exact stamp did, never shorter: no window holds more
-- than the limit (the safe side). A refusal's wait runs to the end of the slice that frees. A
-- slot still carries its grant's database time (`stamp`); a restamp moves one grant from that
-- time's slice to now's.
--
-- And a broker's hour (Angel One: 1,000 order messages an hour), a window like the minute: a
-- third ring, `hour_window`, counted in the same statement under the same lock. It starts empty.

CREATE TYPE order_rate_ring AS (
  window_ms integer,  -- the window the ring counts
  slice_ms  integer,  -- the width of a slice: window_ms / 100
  base      bigint,   -- the number (epoch ms / slice_ms) of the slice in counts[1]
  counts    integer[] -- grants per slice, oldest first; the last slice holds now
);

-- The ring as it stands at `p_now_ms` for a window of `p_window_ms`: the slices wholly before the
-- window dropped, the ones up to now's added empty. Another slice width (the window changed)
-- moves each old slice's grants to the new slice that holds its last millisecond, and grants in
-- slices after now (the database clock stepped back) count in now's: later, never earlier.
CREATE FUNCTION order_rate_ring_at(r order_rate_ring, p_window_ms integer, p_now_ms bigint)
RETURNS order_rate_ring LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  q integer := greatest(1, p_window_ms / 100);
  first bigint := (p_now_ms - p_window_ms) / q;
  last bigint := p_now_ms / q;
  src integer[] := coalesce(r.counts, '{}');
  b bigint := r.base;
  n integer := cardinality(src);
  moved integer[];
  k bigint;
  i integer;
  lo bigint;
  hi bigint;
  later integer;
BEGIN
  IF n > 0 AND r.slice_ms <> q THEN
    b := ((r.base + 1) * r.slice_ms - 1) / q;
    moved := array_fill(0, ARRAY[(((r.base + n) * r.slice_ms - 1) / q - b + 1)::integer]);
    FOR i IN 1 .. n LOOP
      k := ((r.base + i) * r.slice_ms - 1) / q;
      moved[k - b + 1] := moved[k - b + 1] + src[i];
    END LOOP;
    src := moved;
    n := cardinality(src);
  END IF;
  IF n > 0 AND b + n - 1 > last THEN
    later := (SELECT sum(c) FROM unnest(src[greatest(1, last - b + 2)::integer:]) AS c);
    IF b > last THEN
      src := ARRAY[later];
      b := last;
    ELSE
      src := src[1:(last - b + 1)::integer];
      src[cardinality(src)] := src[cardinality(src)] + later;
    END IF;
    n := cardinality(src);
  END IF;
  IF n = 0 OR b + n - 1 < first THEN
    src := array_fill(0, ARRAY[(last - first + 1)::integer]);
  ELSE
    lo := greatest(b, first);
    hi := b + n - 1;
    src := array_fill(0, ARRAY[(lo - first)::integer])
           || src[(lo - b + 1)::integer:(hi - b + 1)::integer]
           || array_fill(0, ARRAY[(last - hi)::integer]);
  END IF;
  RETURN ROW(p_window_ms, q, first, src)::order_rate_ring;
END $$;

-- `p_n` grants added to the slice holding `p_ms` (negative: taken away, never below none). A
-- slice already out of the ring has nothing to count; one after its newest counts in the newest.
CREATE FUNCTION order_rate_ring_add(r order_rate_ring, p_ms bigint, p_n integer)
RETURNS order_rate_ring LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  i integer := least(p_ms / r.slice_ms - r.base + 1, cardinality(r.counts));
BEGIN
  IF i >= 1 THEN
    r.counts[i] := greatest(0, r.counts[i] + p_n);
  END IF;
  RETURN r;
END $$;

-- The grants the ring holds; none for a cap the broker does not have (a NULL ring). (PL/pgSQL:
-- its query is planned once per session; a SQL function's would be planned at every call.)
CREATE FUNCTION order_rate_ring_count(r order_rate_ring) RETURNS integer
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF r.counts IS NULL THEN RETURN 0; END IF;
  RETURN (SELECT coalesce(sum(c), 0)::integer FROM unnest(r.counts) AS c);
END $$;

-- Milliseconds from `p_now_ms` until the oldest `p_need` grants have left the window.
CREATE FUNCTION order_rate_ring_frees_in(r order_rate_ring, p_need integer, p_now_ms bigint)
RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  freed integer := 0;
  i integer;
BEGIN
  FOR i IN 1 .. cardinality(r.counts) LOOP
    freed := freed + r.counts[i];
    IF freed >= p_need THEN
      RETURN greatest(1, (r.base + i) * r.slice_ms + r.window_ms - p_now_ms)::integer;
    END IF;
  END LOOP;
  RETURN r.window_ms;
END $$;

-- Epoch milliseconds of a time (what slices are numbered in). STABLE as `extract` is, so that
-- it is inlined where it is called instead of planned at every call.
CREATE FUNCTION order_rate_ms(p_at timestamptz) RETURNS bigint
LANGUAGE sql STABLE AS $$ SELECT floor(extract(epoch FROM p_at) * 1000)::bigint $$;

-- A cap's ring at `p_now_ms` with the sends of the backfill (their ages in ms) counted in; NULL
-- for a cap the broker does not have (`p_limit` NULL), as no grant was counted for it.
CREATE FUNCTION order_rate_cap_ring(
  r order_rate_ring, p_limit integer, p_window_ms integer, p_now_ms bigint, p_backfill_ms integer[]
) RETURNS order_rate_ring LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  age integer;
BEGIN
  IF p_limit IS NULL THEN RETURN NULL; END IF;
  r := order_rate_ring_at(r, p_window_ms, p_now_ms);
  FOREACH age IN ARRAY coalesce(p_backfill_ms, '{}') LOOP
    r := order_rate_ring_add(r, p_now_ms - age, 1);
  END LOOP;
  RETURN r;
END $$;

-- One grant moved from the slice of `p_from_ms` to now's (`p_now_ms`), in a ring over its own
-- window (a ring never written is left as it is).
CREATE FUNCTION order_rate_ring_moved(r order_rate_ring, p_from_ms bigint, p_now_ms bigint)
RETURNS order_rate_ring LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF r.window_ms IS NULL THEN RETURN r; END IF;
  RETURN order_rate_ring_add(order_rate_ring_add(
    order_rate_ring_at(r, r.window_ms, p_now_ms), p_from_ms, -1), p_now_ms, 1);
END $$;

ALTER TABLE order_rate_buckets
  ADD COLUMN second_window order_rate_ring,
  ADD COLUMN minute_window order_rate_ring,
  ADD COLUMN hour_window order_rate_ring;

-- The stamps kept so far, counted into rings over generous windows (the next grant reshapes them
-- to its own): nothing granted before this migration is forgotten.
DO $$
DECLARE
  b record;
  s timestamptz;
  now_ms bigint := order_rate_ms(clock_timestamp());
  sec order_rate_ring;
  mins order_rate_ring;
BEGIN
  FOR b IN SELECT bucket, stamps FROM order_rate_buckets FOR UPDATE LOOP
    sec := order_rate_ring_at(NULL, 2000, now_ms);
    mins := order_rate_ring_at(NULL, 60000, now_ms);
    FOREACH s IN ARRAY b.stamps LOOP
      sec := order_rate_ring_add(sec, order_rate_ms(s), 1);
      mins := order_rate_ring_add(mins, order_rate_ms(s), 1);
    END LOOP;
    UPDATE order_rate_buckets SET second_window = sec, minute_window = mins WHERE bucket = b.bucket;
  END LOOP;
END $$;

ALTER TABLE order_rate_buckets DROP COLUMN stamps;

DROP FUNCTION take_order_rate_slot(text, integer, integer, text, integer[], integer, integer,
                                   integer);
DROP FUNCTION take_order_rate_slots(text, integer, integer, text, integer[], integer, integer,
                                    integer, integer);

-- As in 0016, over the rings: `second_window` counts the per-second window, `minute_window` the
-- broker's minute and `hour_window` its hour (`p_hour_limit` per `p_hour_ms`), each only while
-- the broker has that cap (0015 kept no stamps for a minute it did not count either). `cap` may
-- now also be 'hour'.
CREATE FUNCTION take_order_rate_slots(
  p_bucket text, p_limit integer, p_window_ms integer, p_task text, p_backfill_ms integer[],
  p_count integer, p_minute_limit integer, p_minute_ms integer, p_day_limit integer,
  p_hour_limit integer, p_hour_ms integer
) RETURNS TABLE (granted integer, retry_ms integer, used integer, tasks integer, stamp timestamptz,
                 cap text)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  t timestamptz;
  t_ms bigint;
  held order_rate_buckets;
  sec order_rate_ring;
  mins order_rate_ring;
  hrs order_rate_ring;
  seen jsonb;
  today date;
  day date;
  day_n integer;
  in_second integer;
  in_minute integer;
  in_hour integer;
  room integer;
  wait_ms integer;
BEGIN
  IF p_count < 1 THEN
    granted := 0; retry_ms := 0; used := NULL; tasks := NULL; stamp := NULL; cap := NULL;
    RETURN NEXT;
    RETURN;
  END IF;
  SELECT * INTO held FROM order_rate_buckets b WHERE b.bucket = p_bucket FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO order_rate_buckets (bucket) VALUES (p_bucket) ON CONFLICT (bucket) DO NOTHING;
    SELECT * INTO held FROM order_rate_buckets b WHERE b.bucket = p_bucket FOR UPDATE;
  END IF;
  seen := held.tasks;
  day := held.day_ist;
  day_n := held.day_count;
  t := clock_timestamp();
  t_ms := order_rate_ms(t);
  today := (t AT TIME ZONE 'Asia/Kolkata')::date;
  IF day IS DISTINCT FROM today THEN day_n := 0; END IF;
  -- The backfill: sent on the task's local share while the database was away, counted as sent
  -- then, and for the day too.
  sec := order_rate_cap_ring(held.second_window, p_limit, p_window_ms, t_ms, p_backfill_ms);
  mins := order_rate_cap_ring(held.minute_window, p_minute_limit, p_minute_ms, t_ms, p_backfill_ms);
  hrs := order_rate_cap_ring(held.hour_window, p_hour_limit, p_hour_ms, t_ms, p_backfill_ms);
  day_n := day_n + coalesce(cardinality(p_backfill_ms), 0);
  IF coalesce((seen ->> p_task)::double precision, 0) < extract(epoch FROM t) - 1 THEN
    seen := (SELECT coalesce(jsonb_object_agg(k, v), '{}'::jsonb) FROM jsonb_each(seen) AS e(k, v)
              WHERE (v #>> '{}')::double precision > extract(epoch FROM t) - 60)
            || jsonb_build_object(p_task, extract(epoch FROM t));
  END IF;
  in_second := order_rate_ring_count(sec);
  in_minute := order_rate_ring_count(mins);
  in_hour := order_rate_ring_count(hrs);
  room := p_limit - in_second;
  cap := 'second';
  IF mins IS NOT NULL AND p_minute_limit - in_minute < room THEN
    room := p_minute_limit - in_minute; cap := 'minute';
  END IF;
  IF hrs IS NOT NULL AND p_hour_limit - in_hour < room THEN
    room := p_hour_limit - in_hour; cap := 'hour';
  END IF;
  IF p_day_limit IS NOT NULL AND p_day_limit - day_n < room THEN
    room := p_day_limit - day_n; cap := 'day';
  END IF;
  granted := greatest(0, least(p_count, room));
  IF granted > 0 THEN
    -- (Adding to a NULL ring, a cap the broker does not have, leaves it NULL.)
    sec := order_rate_ring_add(sec, t_ms, granted);
    mins := order_rate_ring_add(mins, t_ms, granted);
    hrs := order_rate_ring_add(hrs, t_ms, granted);
    day_n := day_n + granted;
    stamp := t;
  ELSE
    stamp := NULL;
  END IF;
  retry_ms := 0;
  IF granted < p_count THEN
    IF p_day_limit IS NOT NULL AND day_n >= p_day_limit THEN
      cap := 'day';
    ELSE
      -- Each full window must lose (count - limit + 1) grants before a slot frees; the binding
      -- cap is the one that frees last.
      cap := NULL;
      IF in_second + granted >= p_limit THEN
        retry_ms := order_rate_ring_frees_in(sec, in_second + granted - p_limit + 1, t_ms);
        cap := 'second';
      END IF;
      IF mins IS NOT NULL AND in_minute + granted >= p_minute_limit THEN
        wait_ms := order_rate_ring_frees_in(mins, in_minute + granted - p_minute_limit + 1, t_ms);
        IF wait_ms > retry_ms THEN retry_ms := wait_ms; cap := 'minute'; END IF;
      END IF;
      IF hrs IS NOT NULL AND in_hour + granted >= p_hour_limit THEN
        wait_ms := order_rate_ring_frees_in(hrs, in_hour + granted - p_hour_limit + 1, t_ms);
        IF wait_ms > retry_ms THEN retry_ms := wait_ms; cap := 'hour'; END IF;
      END IF;
    END IF;
  ELSE
    cap := NULL;
  END IF;
  UPDATE order_rate_buckets
     SET second_window = sec, minute_window = mins, hour_window = hrs, tasks = seen,
         day_ist = today, day_count = day_n
   WHERE bucket = p_bucket;
  -- `used`: the per-second window's count (what the rate view and metric show).
  used := in_second + granted;
  tasks := (SELECT count(*) FROM jsonb_object_keys(seen))::integer;
  RETURN NEXT;
END $$;

CREATE FUNCTION take_order_rate_slot(
  p_bucket text, p_limit integer, p_window_ms integer, p_task text, p_backfill_ms integer[],
  p_minute_limit integer, p_minute_ms integer, p_day_limit integer, p_hour_limit integer,
  p_hour_ms integer
) RETURNS TABLE (granted boolean, retry_ms integer, used integer, tasks integer, stamp timestamptz,
                 cap text)
LANGUAGE sql VOLATILE AS $$
  SELECT s.granted > 0, s.retry_ms, s.used, s.tasks, s.stamp, s.cap
    FROM take_order_rate_slots(p_bucket, p_limit, p_window_ms, p_task, p_backfill_ms, 1,
                               p_minute_limit, p_minute_ms, p_day_limit, p_hour_limit,
                               p_hour_ms) AS s
$$;

-- As in 0007: one grant moved from the slice of `p_stamp` to now's, whatever the window holds (a
-- grant whose slice has left the window is added at now: the message was sent and must count).
CREATE OR REPLACE FUNCTION restamp_order_rate_slot(p_bucket text, p_stamp timestamptz)
RETURNS void LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  held order_rate_buckets;
  s_ms bigint := order_rate_ms(p_stamp);
  t_ms bigint;
BEGIN
  SELECT * INTO held FROM order_rate_buckets b WHERE b.bucket = p_bucket FOR UPDATE;
  IF NOT FOUND THEN RETURN; END IF;
  t_ms := order_rate_ms(clock_timestamp());
  UPDATE order_rate_buckets
     SET second_window = order_rate_ring_moved(held.second_window, s_ms, t_ms),
         minute_window = order_rate_ring_moved(held.minute_window, s_ms, t_ms),
         hour_window = order_rate_ring_moved(held.hour_window, s_ms, t_ms)
   WHERE bucket = p_bucket;
END $$;

-- As in 0015: the grant moves to now only if the second ending now has room for it without its
-- old slice's; answers now, or NULL (no room: nothing changes). The minute and the hour keep
-- their counts.
CREATE OR REPLACE FUNCTION restamp_order_rate_slot_if_room(
  p_bucket text, p_stamp timestamptz, p_limit integer, p_window_ms integer
) RETURNS timestamptz
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  t timestamptz;
  t_ms bigint;
  s_ms bigint := order_rate_ms(p_stamp);
  held order_rate_buckets;
  sec order_rate_ring;
BEGIN
  SELECT * INTO held FROM order_rate_buckets b WHERE b.bucket = p_bucket FOR UPDATE;
  IF NOT FOUND THEN RETURN NULL; END IF;
  t := clock_timestamp();
  t_ms := order_rate_ms(t);
  sec := order_rate_ring_add(order_rate_ring_at(held.second_window, p_window_ms, t_ms), s_ms, -1);
  IF order_rate_ring_count(sec) >= p_limit THEN RETURN NULL; END IF;
  UPDATE order_rate_buckets
     SET second_window = order_rate_ring_add(sec, t_ms, 1),
         minute_window = order_rate_ring_moved(held.minute_window, s_ms, t_ms),
         hour_window = order_rate_ring_moved(held.hour_window, s_ms, t_ms)
   WHERE bucket = p_bucket;
  RETURN t;
END $$;

-- What a bucket's per-second window held at its last write: the grants per slice, for a person
-- (or a test) to read.
CREATE FUNCTION order_rate_window(p_bucket text)
RETURNS TABLE (slice_start timestamptz, slice_ms integer, granted integer)
LANGUAGE sql STABLE AS $$
  SELECT to_timestamp(((b.r).base + u.i - 1) * (b.r).slice_ms / 1000.0), (b.r).slice_ms, u.c
    FROM (SELECT second_window AS r FROM order_rate_buckets WHERE bucket = p_bucket) b,
         unnest((b.r).counts) WITH ORDINALITY AS u(c, i)
   WHERE u.c > 0
   ORDER BY u.i
$$;
