-- Lotse municipal endpoint, schema version 1. Runs unchanged on PGlite and on PostgreSQL.

-- One number line for every change a device may need to pull: record writes and access changes
-- draw from it inside transactions that hold the change lock (pg_advisory_xact_lock(7321)), so a
-- number never becomes visible after a later one.
CREATE SEQUENCE change_seq AS bigint;

CREATE TABLE teams (
  id uuid PRIMARY KEY,
  name text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id uuid PRIMARY KEY,
  username text NOT NULL UNIQUE,
  display_name text NOT NULL,
  role text NOT NULL CHECK (role IN ('coordinator', 'coach', 'pate', 'guide')),
  team_id uuid REFERENCES teams (id),
  password_hash text NOT NULL,
  disabled_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- One row per sign-in: the device's session token (stored as its SHA-256) and its push position.
CREATE TABLE devices (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id),
  name text NOT NULL,
  token_hash text NOT NULL UNIQUE,
  ack_seq bigint NOT NULL DEFAULT 0,
  clamped_stamps integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz,
  revoked_at timestamptz,
  ended_at timestamptz
);
CREATE INDEX devices_user ON devices (user_id);

-- Failed sign-ins only, for the limit of 10 per username or address in 15 minutes.
CREATE TABLE login_failures (
  id bigserial PRIMARY KEY,
  username text NOT NULL,
  address text NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_username ON login_failures (username, at);
CREATE INDEX login_failures_address ON login_failures (address, at);

-- Which Pate mentors which mentee, and with whom a coach shared a mentee's sensitive fields.
CREATE TABLE assignments (
  user_id uuid NOT NULL REFERENCES users (id),
  mentee_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, mentee_id)
);
CREATE TABLE shares (
  user_id uuid NOT NULL REFERENCES users (id),
  mentee_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, mentee_id)
);

-- A user gained or lost a mentee (assign/unassign) or its sensitive fields (share/unshare).
-- Pull turns these into the mentee's current state or into `evict` changes.
CREATE TABLE access_events (
  seq bigint PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id),
  mentee_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('assign', 'unassign', 'share', 'unshare')),
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX access_events_user ON access_events (user_id, seq);

-- Every synced record of every table, field by field. `stamps` holds the HLC stamp of each
-- field; `writers` who wrote each field and when it reached the server:
-- { field: { userId, deviceId, receivedAt (epoch ms) } }.
CREATE TABLE records (
  tbl text NOT NULL CHECK (tbl IN ('mentees', 'notes', 'appointments', 'checklistItems')),
  id uuid NOT NULL,
  team_id uuid,
  mentee_id uuid NOT NULL,
  parent_id uuid,
  fields jsonb NOT NULL DEFAULT '{}',
  stamps jsonb NOT NULL DEFAULT '{}',
  writers jsonb NOT NULL DEFAULT '{}',
  deleted boolean NOT NULL DEFAULT false,
  deleted_stamp text,
  created_by uuid NOT NULL,
  change_seq bigint NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tbl, id)
);
CREATE INDEX records_change_seq ON records (change_seq);
CREATE INDEX records_mentee ON records (mentee_id);
CREATE INDEX records_team ON records (team_id, change_seq);

-- Values that lost a conflict, so nothing typed is ever silently gone.
CREATE TABLE conflicts (
  id uuid PRIMARY KEY,
  tbl text NOT NULL,
  record_id uuid NOT NULL,
  mentee_id uuid NOT NULL,
  field text NOT NULL,
  value jsonb,
  stamp text NOT NULL,
  lost_by uuid NOT NULL,
  won_by uuid,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conflicts_record ON conflicts (tbl, record_id, at DESC);

-- Housekeeping facts, e.g. `tombstones_purged_through`: cursors below it must reset.
CREATE TABLE server_state (
  key text PRIMARY KEY,
  value jsonb NOT NULL
);
