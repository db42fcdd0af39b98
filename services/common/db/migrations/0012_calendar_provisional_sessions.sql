-- A special session whose hours are not yet the exchange's: the holiday circular names Muhurat's
-- day months before the timing circular names its hour. Its placeholder hours are used (a session
-- has hours), and the deadline and morning checks warn until an import confirms them.
ALTER TABLE market_calendar_days
  ADD COLUMN provisional boolean NOT NULL DEFAULT false,
  ADD CONSTRAINT market_calendar_days_provisional_session
    CHECK (NOT provisional OR type = 'SPECIAL_SESSION');
