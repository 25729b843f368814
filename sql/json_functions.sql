-- versioning.canonical(jsonb) and versioning.content_hash(jsonb): docs/versioning.md, "The content hash". Read from
-- jsonb's stored form (src/api/mod.rs), as an INSERT hashes a jsonb content column.
CREATE FUNCTION versioning.canonical(value jsonb) RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgv_canonical_jsonb';
COMMENT ON FUNCTION versioning.canonical(jsonb) IS
  'RFC 8785 canonical JSON text; numbers no double holds keep their exact decimal digits';

CREATE FUNCTION versioning.content_hash(value jsonb) RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgv_content_hash_jsonb';
COMMENT ON FUNCTION versioning.content_hash(jsonb) IS
  'SHA-256 (lowercase hex) of versioning.canonical(value): the hash a jsonb content column gets';
