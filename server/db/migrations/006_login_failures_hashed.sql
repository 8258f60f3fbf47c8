-- Failed sign-ins keep a keyed hash of the typed username (server/audit.ts, usernameLimitKey)
-- instead of the name: what someone types into the username field may be a person's name. The
-- per-username limit works on the hash alike. Rows written before hold names in the clear; they
-- only matter for 15 minutes, so they go.
DELETE FROM login_failures;
ALTER TABLE login_failures RENAME COLUMN username TO username_hash;
