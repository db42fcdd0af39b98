-- Audit rows spooled during a database outage carry their spool key: written at most once, even
-- when two processes flush the same spool after the database returns.
CREATE UNIQUE INDEX control_audit_spool_key ON control_audit ((result->>'spoolKey'))
  WHERE result ? 'spoolKey';
