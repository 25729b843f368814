-- Example 001: sample selections of a (cycle, report) are versioned and reviewed
-- (draft → submitted → approved | rejected, and submitted → draft to withdraw). The sample
-- decisions of a version live in a child table; when a new version is opened, the approved
-- decisions of the previous one are carried forward automatically, pointing back at where
-- they came from. Lifecycles, stamps and carry-forward: docs/versioning.md; the functions
-- and errors: docs/reference.md.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_versioning;
RESET client_min_messages;
CREATE SCHEMA example_001;
SET search_path = example_001, public;

-- The application references users(user_id), which is not part of this design: a minimal
-- stand-in.
CREATE TABLE users (user_id integer PRIMARY KEY, name text NOT NULL);
INSERT INTO users VALUES (101, 'tester'), (202, 'report owner');

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

    -- Added: the submit/review columns of the application's VersionedMixin, which the review
    -- lifecycle stamps.
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

    -- Sample metadata
    sample_data JSONB NOT NULL,
    sample_type VARCHAR(50), -- 'Population', 'Targeted', etc.

    -- Decision tracking
    recommendation_source VARCHAR(50), -- 'tester', 'llm', 'manual'
    recommended_by INTEGER REFERENCES users(user_id),
    recommended_at TIMESTAMP WITH TIME ZONE,

    -- Approval tracking
    decision_status VARCHAR(20), -- 'pending', 'approved', 'rejected', 'modified'
    decided_by INTEGER REFERENCES users(user_id),
    decided_at TIMESTAMP WITH TIME ZONE,
    decision_notes TEXT,

    -- Carry-forward tracking
    carried_from_version_id UUID,
    carried_from_decision_id UUID,
    modification_reason TEXT
);
CREATE INDEX idx_sample_decisions_version ON sample_decisions(version_id);
CREATE INDEX idx_sample_decisions_status ON sample_decisions(version_id, decision_status);

-- The migration. Versions are numbered per (cycle, report) and linked to their parent; the
-- review preset runs on version_status and stamps who submitted and who reviewed; review
-- notes and the approved pointer stay writable after review. A version has no content of its
-- own besides its notes, so no hash is kept and every round of review is a new version.
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
-- The preset, spelled out: its states, which of them are editable, the allowed transitions
-- and the stamps. Entering a state writes its stamps; draft has none here, since a withdrawn
-- submission re-enters draft and a draft stamp would overwrite the creator's.
SELECT jsonb_pretty(versioning.config('sample_selection_versions') -> 'lifecycle') AS lifecycle;
-- "System automatically carries forward all approved samples from v1".
SELECT versioning.enable_carry_forward('sample_decisions',
  parent             => 'sample_selection_versions',
  parent_column      => 'version_id',
  when_column        => 'decision_status',
  when_values        => ARRAY['approved'],
  from_parent_column => 'carried_from_version_id',
  from_row_column    => 'carried_from_decision_id');

-- One (cycle, report), used through psql variables like the application's :cycle_id and
-- :report_id query parameters; :started marks when this run began (to read its own entries
-- from the audit log).
SELECT now() AS started \gset
\set cycle_id 'a0000000-0000-0000-0000-000000000001'
\set report_id 'b0000000-0000-0000-0000-000000000001'
\set key '{"cycle_id": "a0000000-0000-0000-0000-000000000001", "report_id": "b0000000-0000-0000-0000-000000000001"}'

-- 1. Initial version (v1): the tester (user 101) recommends two samples, the LLM two more;
-- all pending. The application leaves version_number to the database (its DEFAULT 1 is only
-- a placeholder: the trigger assigns the number), and v1 has no parent.
BEGIN;
SET LOCAL versioning.actor = '101';
INSERT INTO sample_selection_versions (cycle_id, report_id, version_created_by, version_notes)
VALUES (:'cycle_id', :'report_id', 101, 'first selection')
RETURNING version_number, version_status, parent_version_id IS NULL AS no_parent;
INSERT INTO sample_decisions (version_id, sample_id, sample_data, sample_type, recommendation_source,
                              recommended_by, recommended_at, decision_status)
SELECT v.version_id, ('c0000000-0000-0000-0000-00000000000' || n)::uuid, jsonb_build_object('account', 'ACC-' || n),
       'Population', CASE WHEN n <= 2 THEN 'tester' ELSE 'llm' END, CASE WHEN n <= 2 THEN 101 END, now(), 'pending'
  FROM sample_selection_versions v, generate_series(1, 4) n
 WHERE v.version_number = 1;
COMMIT;

-- A draft is editable: the tester reworks the notes before submitting.
UPDATE sample_selection_versions SET version_notes = 'first selection, 4 samples' WHERE version_number = 1;
-- The stamp columns hold user ids, so submitting as an actor that is not one is refused ...
BEGIN;
SET LOCAL versioning.actor = 'tester@example.com';
UPDATE sample_selection_versions SET version_status = 'submitted' WHERE version_number = 1;
ROLLBACK;
-- ... and a draft cannot skip review. v1 is still a draft.
UPDATE sample_selection_versions SET version_status = 'approved' WHERE version_number = 1;
SELECT version_number, version_status, version_notes FROM sample_selection_versions;

-- The tester submits v1. A submitted version is frozen.
BEGIN;
SET LOCAL versioning.actor = '101';
UPDATE sample_selection_versions SET version_status = 'submitted' WHERE version_number = 1;
COMMIT;
UPDATE sample_selection_versions SET version_notes = 'sneaky edit' WHERE version_number = 1;

-- 2. Report owner review (user 202): approves ACC-1 and ACC-3, rejects the others, and
-- requests modifications: v1 is rejected.
BEGIN;
SET LOCAL versioning.actor = '202';
UPDATE sample_decisions
   SET decision_status = CASE WHEN sample_data ->> 'account' IN ('ACC-1', 'ACC-3') THEN 'approved' ELSE 'rejected' END,
       decided_by = 202, decided_at = now();
SELECT v ->> 'version_status' AS status, v ->> 'version_reviewed_by' AS reviewed_by
  FROM versioning.transition('sample_selection_versions', :'key', 1, 'rejected') v;
UPDATE sample_selection_versions SET version_review_notes = 'add two targeted samples' WHERE version_number = 1;
COMMIT;
-- Once rejected, v1 cannot be approved any more, nor edited (only the mutable review notes
-- and approved pointer may change).
UPDATE sample_selection_versions SET version_status = 'approved' WHERE version_number = 1;
UPDATE sample_selection_versions SET version_notes = 'first selection, reworked' WHERE version_number = 1;

-- 3. New version (v2): inserting it copies v1's approved decisions into it.
BEGIN;
SET LOCAL versioning.actor = '101';
INSERT INTO sample_selection_versions (cycle_id, report_id, version_created_by, version_notes)
VALUES (:'cycle_id', :'report_id', 101, 'second selection');
-- The tester adds the requested targeted samples, then submits.
INSERT INTO sample_decisions (version_id, sample_id, sample_data, sample_type, recommendation_source,
                              recommended_by, recommended_at, decision_status)
SELECT v.version_id, ('c0000000-0000-0000-0000-00000000000' || n)::uuid, jsonb_build_object('account', 'ACC-' || n),
       'Targeted', 'tester', 101, now(), 'pending'
  FROM sample_selection_versions v, generate_series(5, 6) n
 WHERE v.version_number = 2;
SELECT versioning.transition('sample_selection_versions', :'key', 2, 'submitted') ->> 'version_status' AS status;
COMMIT;
-- The tester withdraws the submission (submitted → draft is allowed) ... but a version that
-- has been submitted stays frozen: it can be neither edited nor deleted, changes need a new
-- version. The tester submits v2 again as it is.
BEGIN;
SET LOCAL versioning.actor = '101';
UPDATE sample_selection_versions SET version_status = 'draft' WHERE version_number = 2;
COMMIT;
UPDATE sample_selection_versions SET version_notes = 'second selection, edited' WHERE version_number = 2;
DELETE FROM sample_selection_versions WHERE version_number = 2;
BEGIN;
SET LOCAL versioning.actor = '101';
UPDATE sample_selection_versions SET version_status = 'submitted' WHERE version_number = 2;
COMMIT;

-- The decisions per version: the carried ones point back at v1 and its decisions.
SELECT v.version_number, d.sample_data ->> 'account' AS account, d.recommendation_source, d.decision_status,
       cv.version_number AS carried_from_version, cd.decision_status AS carried_from_status
  FROM sample_decisions d
  JOIN sample_selection_versions v ON v.version_id = d.version_id
  LEFT JOIN sample_selection_versions cv ON cv.version_id = d.carried_from_version_id
  LEFT JOIN sample_decisions cd ON cd.decision_id = d.carried_from_decision_id
 ORDER BY v.version_number, account;

-- 4. The report owner approves the new samples and v2; every version points at the
-- approved one (approved_version_id is mutable), and a label names it too.
BEGIN;
SET LOCAL versioning.actor = '202';
UPDATE sample_decisions d SET decision_status = 'approved', decided_by = 202, decided_at = now()
  FROM sample_selection_versions v
 WHERE d.version_id = v.version_id AND v.version_number = 2 AND d.decision_status = 'pending';
UPDATE sample_selection_versions SET version_status = 'approved' WHERE version_number = 2;
UPDATE sample_selection_versions
   SET approved_version_id = (SELECT version_id FROM sample_selection_versions WHERE version_number = 2);
SELECT versioning.set_label('sample_selection_versions', :'key', 'approved', 2);
COMMIT;
SELECT versioning.label('sample_selection_versions', :'key', 'approved') AS approved_version;

-- The version history: parents, states and who created / submitted / reviewed (user ids;
-- times only as set or not).
SELECT v.version_number, v.version_status, p.version_number AS parent, a.version_number AS approved,
       v.version_created_by, v.version_submitted_by, v.version_submitted_at IS NOT NULL AS submitted,
       v.version_reviewed_by, v.version_reviewed_at IS NOT NULL AS reviewed, v.version_review_notes
  FROM sample_selection_versions v
  LEFT JOIN sample_selection_versions p ON p.version_id = v.parent_version_id
  LEFT JOIN sample_selection_versions a ON a.version_id = v.approved_version_id
 ORDER BY v.version_number;

-- The application's query "Get current approved samples for a report" (sd.* narrowed to
-- stable columns).
SELECT sd.sample_data ->> 'account' AS account, sd.sample_type, sd.recommendation_source, sd.decided_by
FROM sample_decisions sd
JOIN sample_selection_versions ssv ON sd.version_id = ssv.version_id
WHERE ssv.cycle_id = :'cycle_id'
  AND ssv.report_id = :'report_id'
  AND ssv.version_status = 'approved'
  AND sd.decision_status = 'approved'
ORDER BY account;

-- 5. A third round: v3 carries v2's four approved decisions; ACC-1 now has a two-step lineage.
BEGIN;
SET LOCAL versioning.actor = '101';
INSERT INTO sample_selection_versions (cycle_id, report_id, version_created_by, version_notes)
VALUES (:'cycle_id', :'report_id', 101, 'third selection');
COMMIT;
-- v3 is a draft: the 'approved' label can only point at a frozen version.
SELECT versioning.set_label('sample_selection_versions', :'key', 'approved', 3);
SELECT d.decision_id AS decision_id
  FROM sample_decisions d JOIN sample_selection_versions v ON v.version_id = d.version_id
 WHERE v.version_number = 3 AND d.sample_data ->> 'account' = 'ACC-1' \gset

-- The application's query "Get sample lineage across versions" (the final SELECT * narrowed
-- to stable columns: ids and times differ on every run).
WITH RECURSIVE sample_lineage AS (
    -- Base case: current version
    SELECT sd.*, ssv.version_number, 0 as depth
    FROM sample_decisions sd
    JOIN sample_selection_versions ssv ON sd.version_id = ssv.version_id
    WHERE sd.decision_id = :'decision_id'

    UNION ALL

    -- Recursive case: previous versions
    SELECT sd.*, ssv.version_number, sl.depth + 1
    FROM sample_decisions sd
    JOIN sample_selection_versions ssv ON sd.version_id = ssv.version_id
    JOIN sample_lineage sl ON sd.decision_id = sl.carried_from_decision_id
)
SELECT depth, version_number, sample_data ->> 'account' AS account, decision_status, decided_by
  FROM sample_lineage ORDER BY depth;

-- versioning.lineage walks the same chain.
SELECT l.ord - 1 AS depth, v.version_number, l.d -> 'sample_data' ->> 'account' AS account
  FROM versioning.lineage('sample_decisions', :'decision_id'::uuid) WITH ORDINALITY AS l(d, ord)
  JOIN sample_selection_versions v ON v.version_id = (l.d ->> 'version_id')::uuid
 ORDER BY l.ord;

-- 6. The tester discards v3 instead: the latest version may be deleted while it is a draft
-- that was never submitted (its carried decisions first, since they reference it); its
-- number is free again. A version that went through review may not be deleted.
BEGIN;
SET LOCAL versioning.actor = '101';
DELETE FROM sample_decisions d USING sample_selection_versions v
 WHERE d.version_id = v.version_id AND v.version_number = 3;
DELETE FROM sample_selection_versions WHERE version_number = 3;
COMMIT;
DELETE FROM sample_selection_versions WHERE version_number = 1;
SELECT version_number, version_status FROM sample_selection_versions ORDER BY version_number;

-- The audit trail: versions created, transitions and copied decisions, with their actors.
-- (:'started' leaves out the log of an earlier run of this script in the same database.)
SELECT version, action, from_state, to_state, actor, detail - 'child' AS detail
  FROM versioning.log
 WHERE table_name = 'example_001.sample_selection_versions' AND at >= :'started'
 ORDER BY version, at, action;

SET client_min_messages = warning;
DROP SCHEMA example_001 CASCADE;
RESET client_min_messages;
