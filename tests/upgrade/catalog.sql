-- A listing of the extension's objects and their properties (tests/upgrade/run.sh compares an
-- upgraded installation's with a fresh CREATE EXTENSION's). Output is sorted and has no OIDs.
\pset format unaligned
\pset tuples_only on
WITH members AS (
    SELECT classid, objid FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
     WHERE d.refclassid = 'pg_extension'::regclass AND e.extname = 'pg_versioning' AND d.deptype = 'e'
)
SELECT line FROM (
    SELECT 'member ' || pg_describe_object(classid, objid, 0) AS line FROM members
    UNION ALL
    SELECT format('function %s(%s) returns %s lang=%s volatile=%s strict=%s secdef=%s parallel=%s kind=%s src=%s config=%s acl=%s',
                  p.oid::regproc, pg_get_function_arguments(p.oid), pg_get_function_result(p.oid),
                  l.lanname, p.provolatile, p.proisstrict, p.prosecdef, p.proparallel, p.prokind,
                  CASE WHEN l.lanname = 'c' THEN p.prosrc ELSE md5(p.prosrc) END, p.proconfig, p.proacl)
      FROM members m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
      JOIN pg_language l ON l.oid = p.prolang
    UNION ALL
    SELECT format('relation %s kind=%s acl=%s rls=%s', c.oid::regclass, c.relkind, c.relacl, c.relrowsecurity)
      FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
    UNION ALL
    SELECT format('column %s.%s %s notnull=%s default=%s acl=%s', c.oid::regclass, a.attname,
                  format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid), a.attacl)
      FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
    UNION ALL
    SELECT 'index ' || pg_get_indexdef(i.indexrelid)
      FROM members m JOIN pg_index i ON m.classid = 'pg_class'::regclass AND i.indrelid = m.objid
    UNION ALL
    SELECT 'constraint ' || co.conrelid::regclass || ' ' || pg_get_constraintdef(co.oid)
      FROM members m JOIN pg_constraint co ON m.classid = 'pg_class'::regclass AND co.conrelid = m.objid
    UNION ALL
    SELECT 'trigger ' || pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text
      FROM members m JOIN pg_trigger t ON m.classid = 'pg_class'::regclass AND t.tgrelid = m.objid
     WHERE NOT t.tgisinternal
    UNION ALL
    SELECT format('event trigger %s on %s fn=%s enabled=%s tags=%s', evtname, evtevent, evtfoid::regproc, evtenabled, evttags)
      FROM members m JOIN pg_event_trigger et ON m.classid = 'pg_event_trigger'::regclass AND et.oid = m.objid
    UNION ALL
    SELECT format('policy %s on %s.%s cmd=%s roles=%s using=%s check=%s', policyname, schemaname, tablename, cmd, roles, qual, with_check)
      FROM pg_policies WHERE schemaname = 'versioning'
    UNION ALL
    SELECT format('schema %s acl=%s', nspname, nspacl) FROM pg_namespace WHERE nspname = 'versioning'
    UNION ALL
    SELECT format('config dump %s where %s', c.oid::regclass, cond)
      FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS u (tbl, cond) JOIN pg_class c ON c.oid = u.tbl
     WHERE e.extname = 'pg_versioning'
) listing ORDER BY line COLLATE "C";
