-- The server's audit log (issue 5): who did what, when, by ids only. No personal value is ever
-- written here: no name, no username typed at a failed sign-in (a keyed hash of it at most), no
-- address, no record content. See server/audit.ts for what each action records.
CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL,
  action text NOT NULL CHECK (action IN (
    'sign_in', 'sign_in_failed', 'pull', 'export', 'erasure', 'device_revoked'
  )),
  -- Who acted: a user and their device; NULL for the server itself (retention) and the admin CLI.
  actor_id uuid,
  device_id uuid,
  -- What it was about: a mentee (export, erasure), a device (revocation).
  target_id uuid,
  -- Counts, table names, reasons and hashes; never a value of a record.
  details jsonb NOT NULL DEFAULT '{}',
  -- pull: the ids of the records the device received on that page. An erasure removes the ids of
  -- the records it erased from here (their audit details).
  record_ids uuid[]
);
CREATE INDEX audit_log_target ON audit_log (target_id) WHERE target_id IS NOT NULL;
