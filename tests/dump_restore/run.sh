#!/usr/bin/env bash
# pg_dump -Fc + pg_restore round trip of versioned tables (docs/operations.md, "Dump and
# restore"), then versioning continues in the restored databases. Run by `make dump-restore`
# against the throwaway cluster of scripts/pg.sh (which must be running).
#
# Two restores of one custom-format dump:
#   whole  createdb + pg_restore -d: pg_dump puts the table data before the triggers
#          (triggers are post-data), so the versioning triggers do not fire during the load;
#          nothing special is needed.
#   split  pg_restore --schema-only, then pg_restore --data-only. Here the triggers already
#          exist while COPY loads the rows, so the data step runs with
#          PGOPTIONS='-c versioning.restore=on' (docs/operations.md, "Restore mode"):
#          without it every restored row goes through the ordinary INSERT path, which
#          renumbers versions, re-applies dedup, re-computes parents and writes a second
#          'create' row per version into versioning.log (seen: every log row duplicated).
#          With it the triggers keep the supplied versions, hashes and parents (verifying
#          each hash) and log nothing.
#          This is the recipe docs/operations.md gives: no --disable-triggers, no -L reordering.
#          Beware: pg_restore loads TABLE DATA in schema-name order, so rows of a table in a
#          schema sorting before "versioning" (public, app, …) arrive while versioning.tables
#          is still empty, and rows of one in a later schema (workspace) after it. The test has
#          one table of each kind, so the extension must cope with both orders. (Observed with
#          the engine at commit e43e6df: the public table's COPY fails with "table
#          public.definitions has versioning triggers but no configuration"; restoring the two
#          versioning.* TABLE DATA entries first, via pg_restore -l / -L, makes it pass.)
#
# Checks print "PASS  …" / "FAIL  …"; the last line is "N passed, M failed"; exit status is
# non-zero on any failure. The databases pgv_dump_* are dropped at the end, also on failure.
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)
eval "$(../../scripts/pg.sh env)"
# PGV_HOST (with PGV_PORT, which scripts/pg.sh honours) points the script at another server
# built from the same PostgreSQL, e.g. a private cluster while others use the shared one.
PGHOST=${PGV_HOST:-$PGHOST}
export PGHOST PGPORT PGUSER
unset PGOPTIONS PGDATABASE
export PATH="$BINDIR:$PATH"

src=pgv_dump_src
whole=pgv_dump_whole
split=pgv_dump_split
work=$(mktemp -d /tmp/pgv_dump.XXXXXX)
dump=$work/src.dump

cleanup() {
  local status=$?
  for db in "$src" "$whole" "$split"; do
    dropdb --if-exists --force "$db" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); printf 'PASS  %s\n' "$1"; }
fail() {
  failed=$((failed + 1)); printf 'FAIL  %s\n' "$1"; shift
  if [ $# -gt 0 ]; then printf '%s\n' "$@" | head -n 12 | sed 's/^/        /'; fi
}
# check NAME EXPECTED ACTUAL
check() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected: $2" "actual:   $3"; fi; }

psql_() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
# q DB SQL: one query, unaligned tuples-only output; failures return non-zero with stderr
q() { psql_ -At -d "$1" -c "$2" 2>&1; }
# copy_out DB SQL FILE: the exact text of a query's rows (COPY format: \N for NULL)
copy_out() { psql_ -d "$1" -c "COPY ($2) TO STDOUT" >"$3" 2>&1; }

# --- what is compared between the source and each restored database ------------------------
declare -A compare=(
  [definitions]="SELECT * FROM public.definitions ORDER BY reference, project_id NULLS FIRST, library_id NULLS FIRST, version"
  [documents]="SELECT * FROM workspace.documents ORDER BY doc_ref, locale NULLS FIRST, version"
  [plain_notes]="SELECT * FROM public.plain_notes ORDER BY id"
  [reviews]="SELECT * FROM public.reviews ORDER BY ref, version"
  [notes]="SELECT * FROM public.notes ORDER BY ref, version"
  [parted]="SELECT tableoid::regclass::text, * FROM public.parted ORDER BY tenant, ref, version"
  [versioning.schemas]="SELECT * FROM versioning.schemas ORDER BY kind, version"
  [versioning.labels]="SELECT * FROM versioning.labels ORDER BY table_name, key::text, label"
  [versioning.label_protections]="SELECT * FROM versioning.label_protections ORDER BY table_name, label"
  [versioning.left_editable]="SELECT * FROM versioning.left_editable ORDER BY table_name, key, version"
  [versioning.tables]="SELECT * FROM versioning.tables ORDER BY table_name"
  [versioning.log]="SELECT * FROM versioning.log ORDER BY at, txid, table_name, key::text, version, action"
  [config]="SELECT t, versioning.config(t::regclass) FROM unnest(ARRAY['public.definitions', 'workspace.documents', 'public.notes']) t ORDER BY t"
  [triggers]="SELECT tgrelid::regclass::text, tgname, tgenabled, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2"
  [indexes]="SELECT schemaname, tablename, indexdef FROM pg_indexes WHERE schemaname IN ('public', 'workspace') ORDER BY 1, 2, 3"
)
compare_order=(definitions documents plain_notes reviews notes parted versioning.schemas versioning.tables versioning.log versioning.labels
               versioning.label_protections versioning.left_editable config triggers indexes)

snapshot() { # DB DIR
  mkdir -p "$2"
  for name in "${compare_order[@]}"; do
    copy_out "$1" "${compare[$name]}" "$2/$name" || true
  done
}

compare_with_source() { # LABEL DB
  local label=$1 db=$2 dir=$work/$2
  snapshot "$db" "$dir"
  for name in "${compare_order[@]}"; do
    if diff -q "$work/src/$name" "$dir/$name" >/dev/null; then
      pass "$label: $name identical to the source ($(wc -l <"$dir/$name") rows)"
    else
      fail "$label: $name differs from the source" \
        "source $(wc -l <"$work/src/$name") rows, $label $(wc -l <"$dir/$name") rows; diff -u source $label (first lines):" \
        "$(diff -u "$work/src/$name" "$dir/$name" | tail -n +4)"
    fi
  done
  # every stored hash is the hash of its content (docs/versioning.md, "The content hash"),
  # checked by the extension's function
  check "$label: every definitions.content_hash = versioning.content_hash(content)" "0" \
    "$(q "$db" "SELECT count(*) FROM public.definitions WHERE content_hash IS DISTINCT FROM versioning.content_hash(content)")"
  check "$label: versions of every key are exactly 1..N" "0|0" \
    "$(q "$db" "SELECT (SELECT count(*) FROM (SELECT FROM public.definitions GROUP BY reference, project_id, library_id
                                               HAVING max(version) <> count(*) OR min(version) <> 1) d)
                  || '|' ||
                       (SELECT count(*) FROM (SELECT FROM workspace.documents GROUP BY doc_ref, locale
                                               HAVING max(version) <> count(*) OR min(version) <> 1) d)")"
}

# --- versioning keeps working: new version, duplicate, new key, frozen rows ----------------
continue_versioning() { # LABEL DB
  local label=$1 db=$2 out
  local max_wf log_before log_after id_a3
  max_wf=$(q "$src_snapshot_db" "SELECT max(version) FROM public.definitions WHERE reference = 'wf-1' AND project_id IS NULL AND library_id IS NULL")
  log_before=$(q "$db" "SELECT count(*) FROM versioning.log") || log_before="?"

  out=$(q "$db" "INSERT INTO public.definitions (kind, reference, content)
                 VALUES ('workflow_def', 'wf-1', '{\"name\": \"Onboarding\", \"steps\": [\"a\", \"b\", \"c\"]}')
                 RETURNING version") || true
  check "$label: definitions new version of ('wf-1', NULL, NULL) gets max+1" "$((max_wf + 1))" "$out"
  out=$(q "$db" "INSERT INTO public.definitions (kind, reference, content)
                 VALUES ('workflow_def', 'wf-1', '{\"n\": 1, \"name\": \"Onboard\", \"steps\": [\"a\"]}')
                 RETURNING version") || true
  check "$label: definitions duplicate of version 1's content is skipped (no row returned)" "" "$out"
  out=$(q "$db" "INSERT INTO public.definitions (kind, reference, content, project_id)
                 VALUES ('persona', 'persona-1', '{\"name\": \"P1\", \"rev\": 2}', 'p1') RETURNING version") || true
  check "$label: definitions duplicate of an older (not latest) version is skipped" "" "$out"
  out=$(q "$db" "INSERT INTO public.definitions (kind, reference, content, project_id)
                 VALUES ('task', 'brand-new', '{\"prompt\": \"hi\"}', 'p9') RETURNING version") || true
  check "$label: definitions new key gets version 1" "1" "$out"
  log_after=$(q "$db" "SELECT count(*) FROM versioning.log") || log_after="?"
  if [[ $log_before =~ ^[0-9]+$ && $log_after =~ ^[0-9]+$ ]]; then out=$((log_after - log_before)); else out="$log_before -> $log_after"; fi
  check "$label: audit log grew by the 2 new versions (audit on)" "2" "$out"
  out=$(q "$db" "SELECT version || ' ' || action FROM versioning.log WHERE table_name = 'public.definitions'
                  AND key = '{\"reference\": \"brand-new\", \"project_id\": \"p9\", \"library_id\": null}' ORDER BY at") || true
  check "$label: log row for the new key" "1 create" "$out"

  id_a3=$(q "$db" "SELECT id FROM workspace.documents WHERE doc_ref = 'a' AND locale IS NULL AND version = 3") || true
  out=$(q "$db" "INSERT INTO workspace.documents (doc_ref, title, body, tags)
                 VALUES ('a', 'A3', '{\"p\": 3}', ARRAY['x']) RETURNING version || ' ' || (parent_id = '$id_a3'::uuid)") || true
  check "$label: documents new version of ('a', NULL) gets 4 with parent = version 3's id" "4 true" "$out"
  out=$(q "$db" "INSERT INTO workspace.documents (doc_ref, title, body, tags)
                 VALUES ('a', 'A3', '{\"p\": 3}', ARRAY['x']) RETURNING version") || true
  check "$label: documents duplicate of the latest version is skipped (dedup latest)" "" "$out"
  out=$(q "$db" "INSERT INTO workspace.documents (doc_ref, title, body, tags)
                 VALUES ('a', 'A2', '{\"p\": 1}', ARRAY['x']) RETURNING version") || true
  check "$label: documents repeat of an older version is stored (dedup latest)" "5" "$out"
  out=$(q "$db" "INSERT INTO workspace.documents (doc_ref, locale, title)
                 VALUES ('c', 'fr', 'C1') RETURNING version || ' ' || (parent_id IS NULL) || ' ' || length(hash)") || true
  check "$label: documents new key gets version 1, no parent, 32-byte hash" "1 true 32" "$out"
  out=$(q "$db" "SELECT count(*) FROM versioning.log WHERE table_name = 'workspace.documents'") || true
  check "$label: no log rows for workspace.documents (audit false)" "0" "$out"

  out=$(psql_ -At -d "$db" -v VERBOSITY=sqlstate \
          -c "UPDATE public.definitions SET content = '{\"changed\": true}' WHERE reference = 'task-7' AND version = 1" 2>&1) || true
  check "$label: UPDATE of a frozen version's content is refused (55000)" "ERROR:  55000" "$out"
  out=$(psql_ -At -d "$db" -v VERBOSITY=sqlstate \
          -c "UPDATE workspace.documents SET version = 99 WHERE doc_ref = 'b' AND version = 1" 2>&1) || true
  check "$label: UPDATE of the version column is refused (55000)" "ERROR:  55000" "$out"
  out=$(psql_ -At -d "$db" -v VERBOSITY=sqlstate \
          -c "UPDATE public.reviews SET body = 'edited' WHERE ref = 'r' AND version = 2" 2>&1) || true
  check "$label: a version sent back to draft stays frozen (55000)" "ERROR:  55000" "$out"
  out=$(q "$db" "SELECT versioning.label('public.reviews', '{\"ref\": \"r\"}', 'approved')") || true
  check "$label: label 'approved' still points at version 1" "1" "$out"

  out=$(psql_ -At -d "$db" -v VERBOSITY=sqlstate \
          -c "INSERT INTO public.notes (kind, ref, body) VALUES ('dump_note', 'n', '{\"text\": \"far too long for schema version 2\"}')" 2>&1) || true
  check "$label: the restored schema registry still checks content (23514)" "ERROR:  23514" "$out"
  out=$(q "$db" "INSERT INTO public.notes (kind, ref, body) VALUES ('dump_note', 'n', '{\"text\": \"third\"}') RETURNING version") || true
  check "$label: valid content gets the next version" "3" "$out"
  out=$(q "$db" "SELECT versioning.register_schema('dump_note', '{\"type\": \"object\"}')") || true
  check "$label: the next schema of a restored kind is version 3" "3" "$out"
  out=$(q "$db" "INSERT INTO public.parted (tenant, ref, body) VALUES ('acme', 'r1', '{\"v\": 7}'), ('acme', 'r1', '{\"v\": 7}'),
                 ('acme', 'r1', '{\"v\": 0}'), ('zeta', 'new', '{}') RETURNING tenant || ' ' || ref || ' ' || version") || true
  check "$label: partitioned table: next version, duplicates skipped, new key" "acme r1 4
zeta new 1" "$out"
}

# --- 1. the source database ---------------------------------------------------------------
for db in "$src" "$whole" "$split"; do dropdb --if-exists --force "$db" >/dev/null 2>&1; done
createdb "$src"
psql_ -d "$src" -f "$here/setup.sql" >/dev/null
src_snapshot_db=$src

check "source: definitions rows (170 = 3 + 2 + 1 + 4 + 40*4; 5 duplicates skipped)" "170" \
  "$(q "$src" "SELECT count(*) FROM public.definitions")"
check "source: ('wf-1', NULL, NULL) versions, hashes distinct" "1 2 3|3" \
  "$(q "$src" "SELECT string_agg(version::text, ' ' ORDER BY version) || '|' || count(DISTINCT content_hash)
                 FROM public.definitions WHERE reference = 'wf-1' AND project_id IS NULL AND library_id IS NULL")"
check "source: task-7 got versions 1..4 (supplied 42 replaced, duplicate of v2 skipped)" "1 2 3 4" \
  "$(q "$src" "SELECT string_agg(version::text, ' ' ORDER BY version) FROM public.definitions WHERE reference = 'task-7'")"
check "source: documents rows (127 = 3 + 2 + 2 + 30*4)" "127" "$(q "$src" "SELECT count(*) FROM workspace.documents")"
check "source: documents parent chain (every version > 1 points at version - 1 of its key)" "0" \
  "$(q "$src" "SELECT count(*) FROM workspace.documents d
                 LEFT JOIN workspace.documents p ON p.id = d.parent_id
                WHERE (d.version = 1 AND d.parent_id IS NOT NULL)
                   OR (d.version > 1 AND (p.id IS NULL OR p.doc_ref <> d.doc_ref
                       OR p.locale IS DISTINCT FROM d.locale OR p.version <> d.version - 1))")"
check "source: parted: 2 tenants x 10 refs, versions 1..3 (the 4th repeats version 1's content), in 3 partitions" "60|3|3" \
  "$(q "$src" "SELECT count(*) || '|' || max(version) || '|' || count(DISTINCT tableoid) FROM public.parted")"
check "source: audit log has one 'create' row per definitions version and none for documents" "170|0" \
  "$(q "$src" "SELECT count(*) FILTER (WHERE table_name = 'public.definitions' AND action = 'create') || '|' ||
                      count(*) FILTER (WHERE table_name = 'workspace.documents') FROM versioning.log")"
snapshot "$src" "$work/src"

# --- 2. dump --------------------------------------------------------------------------------
pg_dump -Fc -d "$src" -f "$dump"
toc=$(pg_restore -l "$dump")
for entry in "TABLE DATA versioning tables" "TABLE DATA versioning log" \
             "TABLE DATA public definitions" "TABLE DATA workspace documents"; do
  if grep -q " $entry " <<<"$toc"; then pass "dump contains $entry"; else fail "dump contains $entry" "$(grep -E 'TABLE|TRIGGER' <<<"$toc")"; fi
done

# --- 3. whole-database restore --------------------------------------------------------------
createdb "$whole"
if err=$(pg_restore -d "$whole" "$dump" 2>&1); then
  check "whole: pg_restore -d succeeded without messages" "" "$err"
else
  fail "whole: pg_restore -d succeeded" "$err"
fi
compare_with_source whole "$whole"

# --- 4. schema-only, then data-only restore (versioning.restore = on for the data) ----------
createdb "$split"
if err=$(pg_restore --schema-only -d "$split" "$dump" 2>&1); then
  check "split: pg_restore --schema-only succeeded without messages" "" "$err"
else
  fail "split: pg_restore --schema-only succeeded" "$err"
fi
if err=$(PGOPTIONS='-c versioning.restore=on' pg_restore --data-only -d "$split" "$dump" 2>&1); then
  check "split: pg_restore --data-only (versioning.restore=on) succeeded without messages" "" "$err"
else
  fail "split: pg_restore --data-only (versioning.restore=on) succeeded" "$err"
fi
compare_with_source split "$split"

# --- 5. versioning continues (the source too, to prove the expectations themselves) ---------
continue_versioning whole "$whole"
continue_versioning split "$split"
continue_versioning source "$src"

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" = 0 ]
