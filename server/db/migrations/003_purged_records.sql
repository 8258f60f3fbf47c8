-- Records whose tombstone was purged (server/sync/purge.ts): only which table and id, nothing of
-- their content, owner or team. Without it a device back from longer than the tombstone horizon
-- would bring a deleted record back to life by pushing an edit of it: with no row left, the edit
-- looked like the creation of a new record. Push answers such an upsert `rejected/deleted`.
CREATE TABLE purged_records (
  tbl text NOT NULL,
  id uuid NOT NULL,
  PRIMARY KEY (tbl, id)
);
