-- Every message the paper venue receives (a new order, a cancel), stamped with the database clock
-- when it arrives: the venue's own record of the order rate, which is what an exchange's per-client
-- limit counts. clock_timestamp(), not now(): the time of arrival, not of the transaction's start.
CREATE TABLE paper.messages (
  message_id       bigserial PRIMARY KEY,
  kind             text NOT NULL CHECK (kind IN ('NEW', 'CANCEL')),
  client_order_id  text NOT NULL,
  received_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX paper_messages_received_idx ON paper.messages (received_at);
