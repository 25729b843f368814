-- The lifecycle and label functions with their jsonb signatures (docs/reference.md, "Functions"). The Rust
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
    LANGUAGE plpgsql STABLE
    AS $$ BEGIN
        RETURN QUERY EXECUTE versioning._history_sql(tbl, key::pg_catalog.text, state, include_deleted, lim, "off")
            USING key, state, lim, "off";
    END $$;
CREATE FUNCTION versioning.diff(tbl regclass, key jsonb, from_version int, to_version int) RETURNS jsonb
    LANGUAGE sql STABLE RETURN versioning._diff(tbl, key::pg_catalog.text, from_version, to_version)::pg_catalog.jsonb;
CREATE FUNCTION versioning.semver(tbl regclass, key jsonb, version int) RETURNS text
    LANGUAGE sql STABLE RETURN versioning._semver(tbl, key::pg_catalog.text, version);
-- The carry-forward chain of a child row, depth 0 first: the row, the row it was carried from,
-- and so on (follows the rule's from_row_column).
CREATE FUNCTION versioning.lineage(child regclass, id anyelement) RETURNS SETOF jsonb
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    child_name text := (SELECT format('%I.%I', n.nspname, c.relname)
                          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = child);
    from_row text := (SELECT config ->> 'from_row_column' FROM versioning.carry_forward WHERE child_table = child_name LIMIT 1);
    pk text := (SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                 WHERE i.indrelid = child AND i.indisprimary AND i.indnkeyatts = 1);
BEGIN
    IF child IS NULL OR id IS NULL THEN
        RAISE EXCEPTION 'versioning.lineage: % must not be NULL', CASE WHEN child IS NULL THEN 'child' ELSE 'id' END
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF child_name IS NULL THEN
        RAISE EXCEPTION 'versioning.lineage: there is no table with OID %', child::oid
            USING ERRCODE = 'undefined_table', HINT = 'The table may have been dropped; name it as ''schema.table''.';
    END IF;
    IF from_row IS NULL OR pk IS NULL THEN
        RAISE EXCEPTION 'table % has no carry-forward rule with a from_row_column', child_name
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'versioning.enable_carry_forward(…, from_row_column => …) records where each copy came from.';
    END IF;
    RETURN QUERY EXECUTE format(
        'WITH RECURSIVE chain AS (
             SELECT c AS r, 0 AS depth FROM %1$s c WHERE c.%2$I = $1
             UNION ALL
             SELECT p, chain.depth + 1 FROM chain JOIN %1$s p ON p.%2$I = (chain.r).%3$I)
         SELECT to_jsonb(r) FROM chain ORDER BY depth', child_name, pk, from_row) USING id;
END $$;
-- Kinds: register a JSON Schema (draft 2020-12) as the next version of a kind's schema.
CREATE FUNCTION versioning.register_schema(kind text, schema jsonb) RETURNS int
    LANGUAGE sql RETURN versioning._register_schema(kind, schema::pg_catalog.text);
CREATE FUNCTION versioning.as_of(tbl regclass, key jsonb, at timestamptz) RETURNS jsonb
    LANGUAGE sql STABLE RETURN versioning._as_of(tbl, key::pg_catalog.text, at)::pg_catalog.jsonb;
-- Current-version pointers (src/api/current.rs).
CREATE FUNCTION versioning.enable_current(tbl regclass, target regclass, "match" jsonb, set jsonb, state text DEFAULT NULL)
    RETURNS void LANGUAGE c AS 'MODULE_PATHNAME', 'enable_current_wrapper';
-- Label history, read from the log's records of label moves.
CREATE FUNCTION versioning.label(tbl regclass, key jsonb, label text, at timestamptz) RETURNS int
    LANGUAGE sql STABLE RETURN versioning._label_at(tbl, key::pg_catalog.text, label, at);
CREATE FUNCTION versioning.label_history(tbl regclass, key jsonb, label text) RETURNS SETOF jsonb
    LANGUAGE sql STABLE
    BEGIN ATOMIC SELECT versioning._label_history(tbl, key::pg_catalog.text, label); END;
-- Scheduled transitions.
CREATE FUNCTION versioning.schedule(tbl regclass, key jsonb, version int, to_state text, at timestamptz) RETURNS bigint
    LANGUAGE sql RETURN versioning._schedule(tbl, key::pg_catalog.text, version, to_state, at);
-- Applies every due transition the caller may act for (the roles it is a member of; all for a
-- superuser), in time order, each in a subtransaction of its own: one that is no longer allowed
-- is marked failed with the reason and does not stop the others. Returns how many it applied.
CREATE FUNCTION versioning.run_due() RETURNS int
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    due bigint;
    applied int := 0;
BEGIN
    FOR due IN SELECT id FROM versioning.scheduled
                WHERE state = 'pending' AND at <= pg_catalog.now() ORDER BY at, id LOOP
        BEGIN
            IF versioning._apply_scheduled(due) THEN
                applied := applied + 1;
            END IF;
        EXCEPTION
            -- the caller's transaction is what failed: let it retry as a whole
            WHEN serialization_failure OR deadlock_detected OR lock_not_available OR query_canceled THEN
                RAISE;
            WHEN OTHERS THEN
                PERFORM versioning._scheduled_failed(due, SQLSTATE, SQLERRM);
        END;
    END LOOP;
    RETURN applied;
END $$;
