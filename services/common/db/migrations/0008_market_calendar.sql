-- The NSE calendar as imported by `tradeops calendar import`: one row per imported year, and the
-- year's exceptional days. A year here replaces the repository's seed file for that year, for
-- every task and function at once. An import replaces a year's days in one transaction with its
-- audit row: a reader sees the old list or the new one, never half of one.
CREATE TABLE market_calendar_years (
  year integer PRIMARY KEY CHECK (year BETWEEN 2000 AND 2100),
  source text NOT NULL,
  sha256 text NOT NULL,
  imported_by text NOT NULL,
  imported_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE market_calendar_days (
  year integer NOT NULL REFERENCES market_calendar_years (year) ON DELETE CASCADE,
  day date NOT NULL,
  type text NOT NULL CHECK (type IN ('TRADING_HOLIDAY', 'SPECIAL_SESSION', 'SETTLEMENT_HOLIDAY')),
  description text NOT NULL CHECK (length(description) BETWEEN 1 AND 200),
  open_time time,
  close_time time,
  PRIMARY KEY (day, type),
  CHECK (extract(year FROM day) = year),
  CHECK (CASE WHEN type = 'SPECIAL_SESSION'
              THEN open_time IS NOT NULL AND close_time IS NOT NULL AND close_time > open_time
              ELSE open_time IS NULL AND close_time IS NULL END)
);
