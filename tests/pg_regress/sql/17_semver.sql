-- Semantic version numbers (docs/versioning.md, "Semantic versions";
-- examples/004_project_versions.sql): the first version is 1.0.0; each next version bumps its
-- predecessor by change_type (major → M+1.0.0, minor → M.m+1.0, patch or NULL → M.m.p+1);
-- recomputed while the version is editable, frozen with it.
CREATE TABLE sv (
    version_id     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id     text NOT NULL,
    prompt         text NOT NULL,
    version_number int,
    content_hash   text,
    change_type    varchar(10),
    major_version  int,
    minor_version  int,
    patch_version  int,
    prerelease     text,
    is_published   boolean DEFAULT false,
    published_at   timestamptz
);
SELECT count(*) AS enabled FROM versioning.enable('sv', key => ARRAY['project_id'], version_column => 'version_number',
    content => ARRAY['prompt'],
    semver => '{"change_type": "change_type", "major": "major_version", "minor": "minor_version",
                "patch": "patch_version", "prerelease": "prerelease"}',
    lifecycle => '{"column": "is_published", "initial": "false", "editable": ["false"],
                   "transitions": {"false": ["true"], "true": ["false"]},
                   "stamps": {"true": {"at": "published_at"}}}');

INSERT INTO sv (project_id, prompt, change_type) VALUES
    ('p', 'first', NULL), ('p', 'feature', 'minor'), ('p', 'fix', 'patch'), ('p', 'rewrite', 'major');
INSERT INTO sv (project_id, prompt, change_type) VALUES ('q', 'other project', 'major');
SELECT project_id, version_number, change_type, versioning.semver('sv', jsonb_build_object('project_id', project_id), version_number)
  FROM sv ORDER BY project_id, version_number;

-- while editable (not published), changing the change type recomputes the number
UPDATE sv SET change_type = 'minor' WHERE project_id = 'p' AND version_number = 4;
UPDATE sv SET prerelease = 'rc.1' WHERE project_id = 'p' AND version_number = 4;
SELECT versioning.semver('sv', '{"project_id": "p"}', 4) AS v4;
-- once published it is frozen with its number
UPDATE sv SET is_published = true WHERE project_id = 'p' AND version_number = 4;
SELECT regress_util.try($$ UPDATE sv SET change_type = 'major' WHERE project_id = 'p' AND version_number = 4 $$);
SELECT regress_util.try($$ UPDATE sv SET major_version = 9 WHERE project_id = 'p' AND version_number = 4 $$);
-- the next version bumps from the previous one's numbers
INSERT INTO sv (project_id, prompt) VALUES ('p', 'small fix');
SELECT versioning.semver('sv', '{"project_id": "p"}', 5) AS v5;

-- errors
SELECT regress_util.try($$ INSERT INTO sv (project_id, prompt, change_type) VALUES ('p', 'x', 'huge') $$);
SELECT versioning.semver('sv', '{"project_id": "p"}', 99) IS NULL AS missing_version_is_null;
CREATE TABLE sv_bad (id serial PRIMARY KEY, ref text, version int, content_hash text, body text,
                     change_type text, major int, minor int, patch text);
SELECT regress_util.try($$ SELECT versioning.enable('sv_bad', key => ARRAY['ref'], content => ARRAY['body'],
    semver => '{"change_type": "change_type", "major": "major", "minor": "minor", "patch": "patch"}') $$);
SELECT regress_util.try($$ SELECT versioning.enable('sv_bad', key => ARRAY['ref'], content => ARRAY['body'],
    semver => '{"change_type": "change_type", "major": "major", "minor": "minor", "patch": "nope"}') $$);
SELECT regress_util.try($$ SELECT versioning.enable('sv_bad', key => ARRAY['ref'], content => ARRAY['body'],
    semver => '{"change_type": "change_type", "major": "major"}') $$);
SELECT regress_util.try($$ SELECT versioning.enable('sv_bad', key => ARRAY['ref'], content => ARRAY['body'],
    semver => '{"change_type": "body", "major": "major", "minor": "minor", "patch": "version"}') $$);
SELECT count(*) AS enabled FROM versioning.enable('sv_bad', key => ARRAY['ref'], content => ARRAY['body']);
SELECT regress_util.try($$ SELECT versioning.semver('sv_bad', '{"ref": "x"}', 1) $$);

DROP TABLE sv, sv_bad;
