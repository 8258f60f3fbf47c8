-- Job fairs: `events` (a fair with its employers) and `leads` (people captured at one) sync like
-- every other table. An event belongs to its creator's team and anchors itself (mentee_id = its
-- id); a lead hangs under its event (parent_id) and anchors itself too, so no mentee's erasure
-- or Pate assignment reaches it by accident. Guides see their team's events and the leads they
-- captured (created_by).
ALTER TABLE records DROP CONSTRAINT records_tbl_check;
ALTER TABLE records ADD CONSTRAINT records_tbl_check
  CHECK (tbl IN ('mentees', 'notes', 'appointments', 'checklistItems', 'events', 'leads'));
CREATE INDEX records_parent ON records (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX records_created_by ON records (created_by, change_seq) WHERE tbl = 'leads';
