-- The lifecycle and label functions with their jsonb signatures (SPEC section 5). The Rust
-- implementations take and give JSON as text, which keeps numbers exact.
CREATE FUNCTION versioning.transition(tbl regclass, key jsonb, version int, to_state text) RETURNS jsonb
    LANGUAGE sql RETURN versioning._transition(tbl, key::pg_catalog.text, version, to_state)::pg_catalog.jsonb;
CREATE FUNCTION versioning.revert(tbl regclass, key jsonb, to_version int) RETURNS jsonb
    LANGUAGE sql RETURN versioning._revert(tbl, key::pg_catalog.text, to_version)::pg_catalog.jsonb;
CREATE FUNCTION versioning.purge(tbl regclass, key jsonb, version int DEFAULT NULL, reason text DEFAULT NULL) RETURNS bigint
    LANGUAGE sql RETURN versioning._purge(tbl, key::pg_catalog.text, version, reason);
CREATE FUNCTION versioning.set_label(tbl regclass, key jsonb, label text, version int) RETURNS void
    LANGUAGE sql RETURN versioning._set_label(tbl, key::pg_catalog.text, label, version);
CREATE FUNCTION versioning.label(tbl regclass, key jsonb, label text) RETURNS int
    LANGUAGE sql STABLE RETURN versioning._label(tbl, key::pg_catalog.text, label);
CREATE FUNCTION versioning.put(tbl regclass, "row" jsonb) RETURNS jsonb
    LANGUAGE sql RETURN versioning._put(tbl, "row"::pg_catalog.text)::pg_catalog.jsonb;
CREATE FUNCTION versioning.latest(tbl regclass, key jsonb, state text DEFAULT NULL) RETURNS jsonb
    LANGUAGE sql STABLE RETURN versioning._latest(tbl, key::pg_catalog.text, state)::pg_catalog.jsonb;
CREATE FUNCTION versioning.get(tbl regclass, key jsonb, version int) RETURNS jsonb
    LANGUAGE sql STABLE RETURN versioning._get(tbl, key::pg_catalog.text, version)::pg_catalog.jsonb;
CREATE FUNCTION versioning.history(tbl regclass, key jsonb, state text DEFAULT NULL, include_deleted bool DEFAULT false,
                                   lim int DEFAULT NULL, "off" int DEFAULT 0) RETURNS SETOF jsonb
    LANGUAGE sql STABLE
    AS $$ SELECT h::pg_catalog.jsonb FROM versioning._history(tbl, key::pg_catalog.text, state, include_deleted, lim, "off") h $$;
CREATE FUNCTION versioning.diff(tbl regclass, key jsonb, from_version int, to_version int) RETURNS jsonb
    LANGUAGE sql STABLE RETURN versioning._diff(tbl, key::pg_catalog.text, from_version, to_version)::pg_catalog.jsonb;
CREATE FUNCTION versioning.semver(tbl regclass, key jsonb, version int) RETURNS text
    LANGUAGE sql STABLE RETURN versioning._semver(tbl, key::pg_catalog.text, version);
