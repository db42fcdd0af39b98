-- An emergency stop's dedupe claim is in progress only until the function's timeout (Powertools
-- idempotency's in-progress expiry): a run that died mid-way (timeout, OOM) must not keep a
-- redelivered alarm from running the stop again. NULL: the run finished and `result` holds it.
ALTER TABLE ops_invocations ADD COLUMN in_progress_expiry timestamptz;
-- Claims left RUNNING by the code before this column expire a function timeout after they began.
UPDATE ops_invocations SET in_progress_expiry = created_at + interval '15 minutes'
 WHERE result->>'outcome' = 'RUNNING';
