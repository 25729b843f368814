-- Soft delete meets foreign keys (docs/versioning.md, "Deleting versions": a cascading DELETE from
-- a parent table is refused the same way and leaves everything intact). A direct DELETE of a
-- version is a soft delete; a DELETE cascading from a parent row would remove the parent and keep
-- the version pointing at it, so it is refused and nothing changes.
CREATE TABLE sd_prompts (id bigserial PRIMARY KEY, title text NOT NULL);
CREATE TABLE sd_versions (
    id         bigserial PRIMARY KEY,
    prompt_id  bigint NOT NULL REFERENCES sd_prompts ON DELETE CASCADE,
    version    int,
    content    text NOT NULL,
    content_hash text,
    deleted_at timestamptz
);
SELECT count(*) AS enabled FROM versioning.enable('sd_versions', key => ARRAY['prompt_id'],
    content => ARRAY['content'], deleted_column => 'deleted_at');
INSERT INTO sd_prompts (title) VALUES ('greeting');
INSERT INTO sd_versions (prompt_id, content) VALUES (1, 'Hello'), (1, 'Hello there');

-- direct DELETE: a soft delete (0 rows removed, the version stays, marked)
DELETE FROM sd_versions WHERE version = 1;
SELECT version, content, deleted_at IS NOT NULL AS deleted FROM sd_versions ORDER BY version;

-- DELETE of the parent cascades into the versions: refused, nothing changes
SELECT regress_util.try($$ DELETE FROM sd_prompts WHERE id = 1 $$);
SELECT (SELECT count(*) FROM sd_prompts) AS prompts,
       (SELECT count(*) FROM sd_versions) AS versions,
       (SELECT count(*) FROM sd_versions WHERE deleted_at IS NOT NULL) AS soft_deleted;

DROP TABLE sd_versions, sd_prompts;
