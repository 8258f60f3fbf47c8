-- The refusals each device was given (push step 2-6, SYNC.md). A mutation sent again because its
-- answer was lost on the way is at or below the device's `ack_seq`; answering it `duplicate` would
-- tell the device it was applied, so its refusal would never reach the user and the device would
-- keep a value the server does not have. With this table it gets the same refusal again.
-- Reason and field name only: no content of the refused mutation is kept.
CREATE TABLE rejected_mutations (
  device_id uuid NOT NULL REFERENCES devices (id),
  seq bigint NOT NULL,
  reason text NOT NULL,
  detail text,
  PRIMARY KEY (device_id, seq)
);
