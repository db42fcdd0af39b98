-- Procedures started by events that may be delivered more than once (an alarm's state change):
-- the first delivery runs, the others return its result.
CREATE TABLE ops_invocations (
  dedupe_key  text PRIMARY KEY,
  procedure   text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  result      jsonb
);
