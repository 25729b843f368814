-- The row triggers versioning.enable() attaches. Written in Rust (src/trigger/); declared here
-- because they are raw C-convention trigger functions.
CREATE FUNCTION versioning._on_insert() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'pgv_on_insert';
CREATE FUNCTION versioning._on_change() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'pgv_on_change';
CREATE FUNCTION versioning._after_insert() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'pgv_after_insert';
