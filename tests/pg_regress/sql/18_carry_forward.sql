-- Carry-forward of approved child rows (docs/versioning.md, "Carrying approved rows forward";
-- examples/001_review_workflow.sql): a new version of a parent key gets copies of the previous
-- version's child rows whose when_column is in when_values, in the same statement, with the
-- back-references set and the copies logged.
CREATE TABLE cf_versions (
    version_id     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    cycle_id       int NOT NULL,
    report_id      int NOT NULL,
    version_number int NOT NULL DEFAULT 1,
    version_status varchar(20),
    version_notes  text
);
CREATE TABLE cf_decisions (
    decision_id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    version_id               uuid NOT NULL REFERENCES cf_versions (version_id),
    sample_id                int NOT NULL,
    sample_data              jsonb NOT NULL,
    decision_status          varchar(20),
    decided_at               timestamptz,
    carried_from_version_id  uuid,
    carried_from_decision_id uuid,
    touched                  int NOT NULL DEFAULT 0
);
-- the child table's own trigger runs for the copies too
CREATE FUNCTION cf_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.touched := NEW.touched + 1; RETURN NEW; END $$;
CREATE TRIGGER cf_touch BEFORE INSERT ON cf_decisions FOR EACH ROW EXECUTE FUNCTION cf_touch();

SELECT count(*) AS enabled FROM versioning.enable('cf_versions', key => ARRAY['cycle_id', 'report_id'],
    version_column => 'version_number', content => ARRAY['version_notes'], hash_column => NULL, dedup => 'off',
    lifecycle => '{"preset": "review", "column": "version_status"}');
SELECT count(*) AS enabled FROM versioning.enable_carry_forward('cf_decisions', parent => 'cf_versions',
    parent_column => 'version_id', when_column => 'decision_status', when_values => ARRAY['approved'],
    from_parent_column => 'carried_from_version_id', from_row_column => 'carried_from_decision_id');

-- version 1 of two reports (no earlier version: nothing to carry); decisions on both
INSERT INTO cf_versions (cycle_id, report_id, version_notes) VALUES (1, 10, 'first'), (1, 20, 'first');
INSERT INTO cf_decisions (version_id, sample_id, sample_data, decision_status)
SELECT v.version_id, s, jsonb_build_object('sample', s), CASE WHEN s % 2 = 0 THEN 'approved' ELSE 'rejected' END
  FROM cf_versions v, generate_series(1, 4) s;
SELECT count(*) AS decisions FROM cf_decisions;

-- version 2 of both reports in one statement: each gets its own approved decisions
INSERT INTO cf_versions (cycle_id, report_id, version_notes) VALUES (1, 10, 'second'), (1, 20, 'second');
SELECT v.report_id, v.version_number, d.sample_id, d.decision_status, d.touched,
       d.carried_from_version_id = (SELECT p.version_id FROM cf_versions p
                                     WHERE p.report_id = v.report_id AND p.version_number = v.version_number - 1) AS from_previous,
       (SELECT o.sample_id FROM cf_decisions o WHERE o.decision_id = d.carried_from_decision_id) AS from_sample
  FROM cf_decisions d JOIN cf_versions v USING (version_id)
 ORDER BY v.report_id, v.version_number, d.sample_id;

-- version 3 carries from version 2 only: a decision added there (sample 5) comes along; one
-- approved afterwards in version 1 (sample 1) does not
UPDATE cf_decisions d SET decision_status = 'approved'
  FROM cf_versions v WHERE v.version_id = d.version_id AND v.report_id = 10 AND v.version_number = 1 AND d.sample_id = 1;
INSERT INTO cf_decisions (version_id, sample_id, sample_data, decision_status)
SELECT version_id, 5, '{"sample": 5}', 'approved' FROM cf_versions WHERE report_id = 10 AND version_number = 2;
INSERT INTO cf_versions (cycle_id, report_id, version_notes) VALUES (1, 10, 'third');
SELECT v.version_number, array_agg(d.sample_id ORDER BY d.sample_id) AS samples
  FROM cf_decisions d JOIN cf_versions v USING (version_id) WHERE v.report_id = 10
 GROUP BY v.version_number ORDER BY 1;

-- the copies are in the log
SELECT action, key, version, detail - 'child' AS detail FROM versioning.log
 WHERE table_name = 'public.cf_versions' AND action = 'carry_forward' ORDER BY key::text, version;

-- the lineage query of examples/001_review_workflow.sql follows carried_from_decision_id back
WITH RECURSIVE sample_lineage AS (
    SELECT sd.decision_id, sd.carried_from_decision_id, ssv.version_number, 0 AS depth
      FROM cf_decisions sd JOIN cf_versions ssv ON sd.version_id = ssv.version_id
     WHERE ssv.report_id = 10 AND ssv.version_number = 3 AND sd.sample_id = 2
    UNION ALL
    SELECT sd.decision_id, sd.carried_from_decision_id, ssv.version_number, sl.depth + 1
      FROM cf_decisions sd JOIN cf_versions ssv ON sd.version_id = ssv.version_id
      JOIN sample_lineage sl ON sd.decision_id = sl.carried_from_decision_id
)
SELECT depth, version_number FROM sample_lineage ORDER BY depth;

-- versioning.lineage gives the same chain, rows as jsonb, depth 0 first
SELECT l ->> 'sample_id' AS sample_id, v.version_number
  FROM versioning.lineage('cf_decisions',
         (SELECT d.decision_id FROM cf_decisions d JOIN cf_versions v USING (version_id)
           WHERE v.report_id = 10 AND v.version_number = 3 AND d.sample_id = 2)) WITH ORDINALITY AS x(l, ord)
  JOIN cf_versions v ON v.version_id = (l ->> 'version_id')::uuid
 ORDER BY ord;
SELECT regress_util.try($$ SELECT * FROM versioning.lineage('cf_versions', 1) $$);

-- a column the child table gets later is copied too (the copying statement follows the
-- child's columns, also when it was already prepared in this session)
ALTER TABLE cf_decisions ADD COLUMN reviewer text;
UPDATE cf_decisions SET reviewer = 'rita' WHERE decision_status = 'approved';
INSERT INTO cf_versions (cycle_id, report_id, version_notes) VALUES (1, 10, 'fourth');
SELECT d.sample_id, d.reviewer FROM cf_decisions d JOIN cf_versions v USING (version_id)
 WHERE v.report_id = 10 AND v.version_number = 4 ORDER BY 1;

-- misconfiguration is refused when the rule is set up
CREATE TABLE cf_plain (id serial PRIMARY KEY, ref text);
CREATE TABLE cf_bad (id serial PRIMARY KEY, version_id int, status text, from_row text);
SELECT regress_util.try($$ SELECT versioning.enable_carry_forward('cf_bad', parent => 'cf_plain', parent_column => 'version_id', when_column => 'status', when_values => ARRAY['ok']) $$);
SELECT regress_util.try($$ SELECT versioning.enable_carry_forward('cf_bad', parent => 'cf_versions', parent_column => 'version_id', when_column => 'status', when_values => ARRAY['ok']) $$);
SELECT regress_util.try($$ SELECT versioning.enable_carry_forward('cf_bad', parent => 'cf_versions', parent_column => 'nope', when_column => 'status', when_values => ARRAY['ok']) $$);
SELECT regress_util.try($$ SELECT versioning.enable_carry_forward('cf_decisions', parent => 'cf_versions', parent_column => 'version_id', when_column => 'decision_status', when_values => ARRAY['approved'], from_row_column => 'sample_id') $$);
SELECT regress_util.try($$ SELECT versioning.enable_carry_forward('cf_decisions', parent => 'cf_versions', parent_column => 'version_id', when_column => 'decision_status', when_values => NULL) $$);

DROP TABLE cf_decisions, cf_versions, cf_plain, cf_bad;
DROP FUNCTION cf_touch();
SELECT count(*) AS rules_left FROM versioning.carry_forward;
