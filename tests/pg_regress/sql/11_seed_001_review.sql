-- Seed 001 as its application would use it: sample selections of a (cycle, report) are
-- versioned; each version goes through review (draft → submitted → approved | rejected,
-- submitted → draft) with the VersionedMixin's stamp columns holding integer user ids;
-- the sample decisions of a version live in a plain child table.
-- (Carry-forward of approved decisions, SPEC section 6, is not built yet and not tested.)
SET client_min_messages = warning;  -- quiet whether or not an earlier file created it
CREATE EXTENSION IF NOT EXISTS pg_versioning;
RESET client_min_messages;

-- A tiny stand-in for the application's users table, so the seed's foreign keys stay.
CREATE TABLE users (user_id integer PRIMARY KEY, name text NOT NULL);
INSERT INTO users VALUES (101, 'tester'), (202, 'report owner');

-- The seed's sample_selection_versions, with the VersionedMixin's submit/review columns
-- (section 1 of the seed) that the review workflow stamps.
CREATE TABLE sample_selection_versions (
    version_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    cycle_id UUID NOT NULL,
    report_id UUID NOT NULL,

    -- Versioning fields from VersionedMixin
    version_number INTEGER NOT NULL DEFAULT 1,
    version_status VARCHAR(20) NOT NULL DEFAULT 'draft',
    parent_version_id UUID REFERENCES sample_selection_versions(version_id),
    approved_version_id UUID REFERENCES sample_selection_versions(version_id),

    -- Version metadata
    version_created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    version_created_by INTEGER REFERENCES users(user_id),
    version_notes TEXT,

    -- from VersionedMixin
    version_submitted_at TIMESTAMP WITH TIME ZONE,
    version_submitted_by INTEGER REFERENCES users(user_id),
    version_reviewed_at TIMESTAMP WITH TIME ZONE,
    version_reviewed_by INTEGER REFERENCES users(user_id),
    version_review_notes TEXT,

    -- Constraints
    UNIQUE(cycle_id, report_id, version_number)
);

CREATE TABLE sample_decisions (
    decision_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    version_id UUID REFERENCES sample_selection_versions(version_id),
    sample_id UUID NOT NULL,
    sample_data JSONB NOT NULL,
    sample_type VARCHAR(50),
    recommendation_source VARCHAR(50),
    recommended_by INTEGER REFERENCES users(user_id),
    recommended_at TIMESTAMP WITH TIME ZONE,
    decision_status VARCHAR(20),
    decided_by INTEGER REFERENCES users(user_id),
    decided_at TIMESTAMP WITH TIME ZONE,
    decision_notes TEXT,
    carried_from_version_id UUID,
    carried_from_decision_id UUID,
    modification_reason TEXT
);
CREATE INDEX idx_sample_decisions_version ON sample_decisions(version_id);
CREATE INDEX idx_sample_decisions_status ON sample_decisions(version_id, decision_status);

-- The migration: the review preset on version_status, stamps for the review states (not for
-- draft: a withdrawn submission re-enters draft and would overwrite the creator), the parent
-- link, and the reviewer's notes and the approved pointer writable on reviewed versions.
-- The version row carries no content of its own besides its notes, so no hash is kept and
-- every new round of review is a new version (dedup off).
SELECT versioning.enable('sample_selection_versions',
  key            => ARRAY['cycle_id', 'report_id'],
  content        => ARRAY['version_notes'],
  version_column => 'version_number',
  hash_column    => NULL,
  dedup          => 'off',
  parent_column  => 'parent_version_id',
  mutable        => ARRAY['version_review_notes', 'approved_version_id'],
  lifecycle      => '{"preset": "review", "column": "version_status",
                      "stamps": {"submitted": {"at": "version_submitted_at", "by": "version_submitted_by"},
                                 "approved":  {"at": "version_reviewed_at",  "by": "version_reviewed_by"},
                                 "rejected":  {"at": "version_reviewed_at",  "by": "version_reviewed_by"}}}');
SELECT versioning.config('sample_selection_versions') -> 'lifecycle' AS lifecycle;

-- One (cycle, report); the application passes ids it already has.
CREATE TEMP TABLE ids AS SELECT 'a0000000-0000-0000-0000-000000000001'::uuid AS cycle_id,
                                'b0000000-0000-0000-0000-000000000001'::uuid AS report_id;

------------------------------------------------------------------------------------------
-- 1. Initial version: the tester (user 101) opens v1; the application does not compute
-- version_number (the DEFAULT 1 is replaced); version_created_at comes from its default.
BEGIN;
SET LOCAL versioning.actor = '101';
INSERT INTO sample_selection_versions (cycle_id, report_id, version_created_by, version_notes)
  SELECT cycle_id, report_id, 101, 'first selection' FROM ids
  RETURNING version_number, version_status, version_created_by, parent_version_id IS NULL AS no_parent;
-- Tester and LLM recommend samples: all pending.
INSERT INTO sample_decisions (version_id, sample_id, sample_data, sample_type, recommendation_source,
                              recommended_by, recommended_at, decision_status)
SELECT v.version_id, ('c0000000-0000-0000-0000-00000000000' || n)::uuid,
       jsonb_build_object('account', 'ACC-' || n), 'Population',
       CASE WHEN n <= 2 THEN 'tester' ELSE 'llm' END,
       CASE WHEN n <= 2 THEN 101 END, now(), 'pending'
  FROM sample_selection_versions v, generate_series(1, 4) n
 WHERE v.version_number = 1;
COMMIT;

-- A draft is editable: the tester reworks the notes before submitting.
UPDATE sample_selection_versions SET version_notes = 'first selection, 4 samples' WHERE version_number = 1;

-- A stamp column holds user ids: an actor that is not one is refused (22P02), and the
-- version stays in draft.
BEGIN;
SET LOCAL versioning.actor = 'tester@example.com';
SELECT regress_util.try($$ UPDATE sample_selection_versions SET version_status = 'submitted' WHERE version_number = 1 $$);
ROLLBACK;
-- Draft cannot jump to approved.
SELECT regress_util.try($$ UPDATE sample_selection_versions SET version_status = 'approved' WHERE version_number = 1 $$);

-- 2. Submitted for review by the tester.
BEGIN;
SET LOCAL versioning.actor = '101';
UPDATE sample_selection_versions SET version_status = 'submitted' WHERE version_number = 1;
COMMIT;
-- Submitted versions are frozen.
SELECT regress_util.try($$ UPDATE sample_selection_versions SET version_notes = 'sneaky edit' WHERE version_number = 1 $$);

-- The report owner (202) decides on each sample and rejects the version, asking for changes.
-- The decisions are a plain table: the application writes them as before.
UPDATE sample_decisions SET decision_status = CASE WHEN sample_data ->> 'account' IN ('ACC-1', 'ACC-3') THEN 'approved' ELSE 'rejected' END,
                            decided_by = 202, decided_at = now();
BEGIN;
SET LOCAL versioning.actor = '202';
SELECT versioning.transition('sample_selection_versions',
         (SELECT jsonb_build_object('cycle_id', cycle_id, 'report_id', report_id) FROM ids),
         1, 'rejected') ->> 'version_status' AS status;
-- review notes are writable after the review (mutable)
UPDATE sample_selection_versions SET version_review_notes = 'add two targeted samples' WHERE version_number = 1;
COMMIT;
-- A rejected version cannot be approved any more, nor edited.
SELECT regress_util.try($$ UPDATE sample_selection_versions SET version_status = 'approved' WHERE version_number = 1 $$);
SELECT regress_util.try($$ UPDATE sample_selection_versions SET version_notes = 'x' WHERE version_number = 1 $$);

-- 3. New version (v2): its parent is v1; the tester adds the requested samples.
BEGIN;
SET LOCAL versioning.actor = '101';
INSERT INTO sample_selection_versions (cycle_id, report_id, version_created_by, version_notes)
  SELECT cycle_id, report_id, 101, 'second selection' FROM ids;
INSERT INTO sample_decisions (version_id, sample_id, sample_data, sample_type, recommendation_source,
                              recommended_by, recommended_at, decision_status)
SELECT v.version_id, ('c0000000-0000-0000-0000-00000000000' || n)::uuid,
       jsonb_build_object('account', 'ACC-' || n), 'Targeted', 'tester', 101, now(), 'pending'
  FROM sample_selection_versions v, generate_series(5, 6) n
 WHERE v.version_number = 2;
UPDATE sample_selection_versions SET version_status = 'submitted' WHERE version_number = 2;
COMMIT;
-- The tester withdraws the submission (submitted → draft is allowed) ...
UPDATE sample_selection_versions SET version_status = 'draft' WHERE version_number = 2;
-- ... but a version that has been submitted stays frozen: changes need a new version.
SELECT regress_util.try($$ UPDATE sample_selection_versions SET version_notes = 'second selection, edited' WHERE version_number = 2 $$);
SELECT regress_util.try($$ DELETE FROM sample_selection_versions WHERE version_number = 2 $$);
BEGIN;
SET LOCAL versioning.actor = '101';
UPDATE sample_selection_versions SET version_status = 'submitted' WHERE version_number = 2;
COMMIT;
-- The report owner approves the samples and the version.
UPDATE sample_decisions d SET decision_status = 'approved', decided_by = 202, decided_at = now()
  FROM sample_selection_versions v WHERE d.version_id = v.version_id AND v.version_number = 2;
BEGIN;
SET LOCAL versioning.actor = '202';
UPDATE sample_selection_versions SET version_status = 'approved' WHERE version_number = 2;
-- approved_version_id (mutable) points every version at the approved one
UPDATE sample_selection_versions SET approved_version_id = (SELECT version_id FROM sample_selection_versions WHERE version_number = 2);
COMMIT;

-- The version history: numbers, parents, states and stamps (user ids; times only as set/unset).
SELECT v.version_number, v.version_status, p.version_number AS parent_number,
       a.version_number AS approved_number, v.version_notes, v.version_review_notes,
       v.version_created_by, v.version_created_at IS NOT NULL AS created_at_set,
       v.version_submitted_by, v.version_submitted_at IS NOT NULL AS submitted_at_set,
       v.version_reviewed_by, v.version_reviewed_at IS NOT NULL AS reviewed_at_set
  FROM sample_selection_versions v
  LEFT JOIN sample_selection_versions p ON p.version_id = v.parent_version_id
  LEFT JOIN sample_selection_versions a ON a.version_id = v.approved_version_id
 ORDER BY v.version_number;

-- The seed's query: current approved samples for a report.
SELECT sd.sample_data ->> 'account' AS account, sd.sample_type, sd.recommendation_source, sd.decided_by
FROM sample_decisions sd
JOIN sample_selection_versions ssv ON sd.version_id = ssv.version_id
JOIN ids ON ssv.cycle_id = ids.cycle_id AND ssv.report_id = ids.report_id
WHERE ssv.version_status = 'approved'
  AND sd.decision_status = 'approved'
ORDER BY account;

-- The approved-artifact pointer as a label: it points at a frozen version, and a draft
-- cannot be labelled.
SELECT versioning.set_label('sample_selection_versions',
         (SELECT jsonb_build_object('cycle_id', cycle_id, 'report_id', report_id) FROM ids), 'approved', 2);
SELECT versioning.label('sample_selection_versions',
         (SELECT jsonb_build_object('cycle_id', cycle_id, 'report_id', report_id) FROM ids), 'approved') AS approved;
BEGIN;
SET LOCAL versioning.actor = '101';
INSERT INTO sample_selection_versions (cycle_id, report_id, version_notes) SELECT cycle_id, report_id, 'third' FROM ids;
SELECT regress_util.try(format($$ SELECT versioning.set_label('sample_selection_versions', %L, 'approved', 3) $$,
         (SELECT jsonb_build_object('cycle_id', cycle_id, 'report_id', report_id) FROM ids)));
-- An unsubmitted latest draft may be discarded (the number is reused); versions that
-- were reviewed may not, and their decisions keep pointing at them.
DELETE FROM sample_selection_versions WHERE version_number = 3;
SELECT regress_util.try($$ DELETE FROM sample_selection_versions WHERE version_number = 1 $$);
COMMIT;
SELECT version_number, version_status FROM sample_selection_versions ORDER BY version_number;

-- The audit trail of the review (no times, no ids).
SELECT l.version, l.action, l.from_state, l.to_state, l.actor
  FROM versioning.log l
 WHERE l.table_name = 'public.sample_selection_versions'
 ORDER BY l.txid, l.version, l.action, l.from_state NULLS FIRST;

DROP TABLE sample_decisions, sample_selection_versions, users;
-- (DROP TABLE should forget labels and lifecycle history; clean up in case it does not)
DO $$ BEGIN
  DELETE FROM versioning.labels WHERE table_name = 'public.sample_selection_versions';
  DELETE FROM versioning.left_editable WHERE table_name = 'public.sample_selection_versions';
END $$;
DROP TABLE ids;
