-- versioning.canonical(jsonb) and versioning.content_hash(jsonb): SPEC section 7.
-- jsonb's text form keeps each number's exact decimal, which the canonical form needs.
CREATE FUNCTION versioning.canonical(value jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN versioning._canonical_text(value::pg_catalog.text);
COMMENT ON FUNCTION versioning.canonical(jsonb) IS
  'RFC 8785 canonical JSON text; numbers no double holds keep their exact decimal digits';

CREATE FUNCTION versioning.content_hash(value jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN versioning._content_hash_text(value::pg_catalog.text);
COMMENT ON FUNCTION versioning.content_hash(jsonb) IS
  'SHA-256 (lowercase hex) of versioning.canonical(value): the hash a jsonb content column gets';
