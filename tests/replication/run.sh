#!/usr/bin/env bash
# Logical replication of versioned tables (docs/operations.md, "Logical replication"). Run by
# `make replication`; needs the installed extension but not the cluster of scripts/pg.sh: it
# creates two throwaway clusters of its own under /tmp (so that it also works when the checkout
# is in a directory the postgres user cannot enter), a publisher on port 55441 (wal_level=logical)
# and a subscriber on port 55442, with unix sockets only, and removes them at the end.
#
# Both sides run tests/replication/schema.sql: the same tables and the same versioning.enable /
# enable_carry_forward / protect_label calls. Published: the user tables and versioning.log,
# versioning.labels, versioning.left_editable, versioning.schemas — not versioning.tables,
# versioning.carry_forward or versioning.label_protections, which each side's own calls write
# (FOR ALL TABLES would publish them too; their initial copy then fails on their primary keys
# against the subscriber's own rows — seen by hand, not tested here). The apply worker runs with session_replication_role = replica, so the
# extension's triggers (ENABLE ORIGIN) do not fire there: rows arrive exactly as the publisher
# stored them.
#
#   1. a first batch of changes on the publisher, then CREATE SUBSCRIPTION (copy_data);
#   2. a second batch while the subscription streams: new versions, a skipped duplicate, draft
#      edits, transitions, soft deletes, a label set and moved, review submitted → draft, a new
#      schema version, a carry-forward;
#   3. every row of every published table identical on both sides, the read functions
#      (label, as_of, latest, history, get, diff, lineage) answer alike, the version that went
#      submitted → draft is frozen on the subscriber;
#   4. failover: ALTER SUBSCRIPTION … DISABLE, then versioning continues on the subscriber
#      (the same steps run on the publisher too, to prove the expectations themselves).
#
# Checks print "PASS  …" / "FAIL  …"; the last line is "replication: N passed, M failed"; the
# exit status is non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)
root=$(cd ../.. && pwd)
major=$("$root/scripts/toolchain.sh" pg-major)
bindir=$("$("$root/scripts/toolchain.sh" pg-config "$major")" --bindir)
unset RUST_BACKTRACE RUST_LIB_BACKTRACE PGOPTIONS PGHOST PGPORT PGUSER PGDATABASE PGSERVICE PGTZ

base=/tmp/pgv-replication-$(id -u)-$(printf '%s' "$root" | md5sum | cut -c1-8)
sock=$base/sock
pub_port=55441
sub_port=55442
timeout=60

as_server_user() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
stop_servers() { # MODE
  local d
  for d in "$base/pub" "$base/sub"; do
    if [ -s "$d/PG_VERSION" ]; then
      as_server_user "$bindir/pg_ctl" -D "$d" -m "$1" -w -s stop >/dev/null 2>&1 || true
    fi
  done
}

passed=0
failed=0
pass() { passed=$((passed + 1)); printf 'PASS  %s\n' "$1"; }
fail() {
  failed=$((failed + 1)); printf 'FAIL  %s\n' "$1"; shift
  if [ $# -gt 0 ]; then printf '%s\n' "$@" | head -n 16 | sed 's/^/        /'; fi
}
# check NAME EXPECTED ACTUAL
check() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected: $2" "actual:   $3"; fi; }
summarized=0
summary() {
  summarized=1
  printf 'replication: %d passed, %d failed\n' "$passed" "$failed"
}
abort() { fail "$@"; echo "aborting: the remaining checks need this step"; exit 1; }

cleanup() {
  local status=$?
  if [ "$status" != 0 ] && [ "$summarized" = 0 ]; then
    # stopped by abort or by an unexpected error (set -e): show the servers' last words
    [ "$failed" = 0 ] && { echo "FAIL  stopped by an error (exit status $status), see above"; failed=1; }
    for side in pub sub; do
      if [ -f "$base/$side.log" ]; then
        echo "--- last lines of the $side server log ---"; tail -n 15 "$base/$side.log"
      fi
    done
    summary
  fi
  stop_servers immediate
  cd /
  rm -rf "$base"
  exit "$status"
}

# --- 0. two fresh clusters --------------------------------------------------------------------
stop_servers immediate   # left over from an interrupted run
rm -rf "$base"
mkdir -m 700 "$base"
[ "$(id -u)" = 0 ] && chown postgres "$base"
trap cleanup EXIT
cd "$base"
as_server_user mkdir "$sock"
for side in pub sub; do
  as_server_user "$bindir/initdb" -D "$base/$side" -U postgres --auth=trust --no-sync -E UTF8 \
    --locale=C.UTF-8 >"$base/initdb-$side.log" 2>&1 || { cat "$base/initdb-$side.log"; exit 1; }
done
common="-k $sock -c listen_addresses='' -c fsync=off -c timezone=UTC -c max_connections=30"
as_server_user touch "$base/pub.log" "$base/sub.log"
as_server_user "$bindir/pg_ctl" -D "$base/pub" -l "$base/pub.log" -w -s \
  -o "-p $pub_port $common -c wal_level=logical" start
as_server_user "$bindir/pg_ctl" -D "$base/sub" -l "$base/sub.log" -w -s \
  -o "-p $sub_port $common" start

# psql_ PORT ARGS…: psql as the server user; SQL files are fed on stdin (the checkout may not be
# readable by that user)
psql_() { local port=$1; shift; as_server_user "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$sock" -p "$port" -U postgres -d postgres "$@"; }
# q PORT SQL: one statement (or several in one transaction), unaligned tuples-only output;
# failures return non-zero with stderr
q() { psql_ "$1" -At -c "$2" 2>&1; }
qp() { q "$pub_port" "$1"; }
qs() { q "$sub_port" "$1"; }
# sqlstate PORT SQL: "ERROR:  <SQLSTATE>" when the statement fails, its output otherwise
sqlstate() { psql_ "$1" -At -v VERBOSITY=sqlstate -c "$2" 2>&1 || true; }
# copy_out PORT SQL FILE: the exact text of a query's rows (COPY format: \N for NULL)
copy_out() { psql_ "$1" -c "COPY ($2) TO STDOUT" >"$3" 2>&1; }
side_port() { if [ "$1" = publisher ]; then echo "$pub_port"; else echo "$sub_port"; fi; }

# wait_for NAME PORT SQL: polls until SQL returns t, at most $timeout seconds; aborts otherwise
wait_for() {
  local deadline=$((SECONDS + timeout)) out=""
  while :; do
    out=$(q "$2" "$3") || true
    if [ "$out" = t ]; then pass "$1"; return 0; fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      abort "$1 (timed out after $timeout s)" "last answer: $out" \
        "pg_stat_subscription: $(qs "SELECT pid, received_lsn, latest_end_lsn FROM pg_stat_subscription" || true)" \
        "tables not ready: $(qs "SELECT srrelid::regclass || ' ' || srsubstate::text FROM pg_subscription_rel WHERE srsubstate NOT IN ('r', 's')" || true)"
    fi
    sleep 0.2
  done
}
# catch_up NAME: waits until the subscriber has applied everything the publisher has written
catch_up() {
  local lsn
  lsn=$(qp "SELECT pg_current_wal_lsn()")
  wait_for "$1: the subscriber caught up with the publisher (LSN $lsn)" "$pub_port" \
    "SELECT EXISTS (SELECT FROM pg_stat_replication WHERE application_name = 'pgv_sub'
                       AND state = 'streaming' AND replay_lsn >= '$lsn')"
}
now_pub() { qp "SELECT clock_timestamp()"; }

# --- 1. the same schema and configuration on both sides; the publication ----------------------
for port in "$pub_port" "$sub_port"; do
  psql_ "$port" <"$here/schema.sql" >/dev/null
done
published="public.workflows, public.reviews, public.notes, public.selections, public.decisions,
           versioning.log, versioning.labels, versioning.left_editable, versioning.schemas"
qp "CREATE PUBLICATION pgv_pub FOR TABLE $published" >/dev/null
check "setup: the subscriber's own setup wrote no log, label or schema rows" "0|0|0|0" \
  "$(qs "SELECT (SELECT count(*) FROM versioning.log) || '|' || (SELECT count(*) FROM versioning.labels) || '|' ||
                (SELECT count(*) FROM versioning.left_editable) || '|' || (SELECT count(*) FROM versioning.schemas)")"

# --- 2. first batch on the publisher: the subscription's initial copy carries it -------------
qp "INSERT INTO public.workflows (workflow_id, definition) VALUES ('wf-a', '{\"steps\": 1}'), ('wf-b', '{\"steps\": [\"x\"]}')" >/dev/null
qp "UPDATE public.workflows SET definition = '{\"steps\": 2}' WHERE workflow_id = 'wf-a' AND version_number = 1" >/dev/null
check "publisher: the draft edit recomputed the hash" "t" \
  "$(qp "SELECT content_hash = versioning.content_hash('{\"steps\": 2}') FROM public.workflows WHERE workflow_id = 'wf-a'")"
qp "SELECT versioning.register_schema('rep_note', '{\"type\": \"object\", \"required\": [\"text\"]}')" >/dev/null
qp "INSERT INTO public.notes (kind, ref, body) VALUES ('rep_note', 'n1', '{\"text\": \"first\"}'), ('rep_note', 'n1', '{\"text\": \"second\"}')" >/dev/null
qp "INSERT INTO public.reviews (ref, body) VALUES ('r', 'one'), ('r', 'two')" >/dev/null
qp "WITH s AS (INSERT INTO public.selections (cycle, notes) VALUES ('c1', 'first round') RETURNING id)
    INSERT INTO public.decisions (selection_id, sample, status)
    SELECT s.id, d.sample, d.status FROM s, (VALUES ('s1', 'approved'), ('s2', 'rejected'), ('s3', 'approved')) d (sample, status)" >/dev/null
t1=$(now_pub)

# --- 3. the subscription (copy_data) ----------------------------------------------------------
qs "CREATE SUBSCRIPTION pgv_sub CONNECTION 'host=$sock port=$pub_port dbname=postgres user=postgres'
    PUBLICATION pgv_pub WITH (copy_data = true)" >/dev/null
wait_for "subscription: the initial copy of every published table finished" "$sub_port" \
  "SELECT count(*) = 9 AND bool_and(srsubstate IN ('r', 's')) FROM pg_subscription_rel"
catch_up "initial copy"

# --- 4. second batch, streamed ------------------------------------------------------------------
qp "SET versioning.actor = 'alice'; SELECT versioning.transition('public.workflows', '{\"workflow_id\": \"wf-a\"}', 1, 'published')" >/dev/null
check "publisher: new version of wf-a is 2" "2" \
  "$(qp "INSERT INTO public.workflows (workflow_id, definition) VALUES ('wf-a', '{\"steps\": 3}') RETURNING version_number")"
check "publisher: a duplicate of wf-a's version 1 is skipped (no row returned)" "" \
  "$(qp "INSERT INTO public.workflows (workflow_id, definition) VALUES ('wf-a', '{\"steps\": 2.0}') RETURNING version_number")"
check "publisher: a multi-row insert stores only the new content" "wf-c 1" \
  "$(qp "INSERT INTO public.workflows (workflow_id, definition)
         VALUES ('wf-a', '{\"steps\": 3}'), ('wf-c', '{\"a\": 1}'), ('wf-c', '{\"a\": 1}')
         RETURNING workflow_id || ' ' || version_number")"
t2=$(now_pub)
qp "SET versioning.actor = 'bob'; UPDATE public.workflows SET state = 'published' WHERE workflow_id = 'wf-b' AND version_number = 1" >/dev/null
qp "INSERT INTO public.workflows (workflow_id, definition) VALUES ('wf-a', '{\"steps\": 4}')" >/dev/null
qp "DELETE FROM public.workflows WHERE workflow_id = 'wf-a' AND version_number = 3" >/dev/null
qp "DELETE FROM public.workflows WHERE workflow_id = 'wf-b' AND version_number = 1" >/dev/null
qp "SET versioning.actor = 'alice'; SELECT versioning.transition('public.workflows', '{\"workflow_id\": \"wf-a\"}', 2, 'published')" >/dev/null
qp "UPDATE public.workflows SET state = 'archived' WHERE workflow_id = 'wf-a' AND version_number = 1" >/dev/null
qp "SELECT versioning.set_label('public.workflows', '{\"workflow_id\": \"wf-a\"}', 'prod', 1)" >/dev/null
qp "SELECT versioning.set_label('public.workflows', '{\"workflow_id\": \"wf-a\"}', 'prod', 2)" >/dev/null
qp "SET versioning.actor = 'reviewer'; UPDATE public.reviews SET status = 'submitted' WHERE ref = 'r'" >/dev/null
qp "SET versioning.actor = 'reviewer'; UPDATE public.reviews SET status = 'approved' WHERE ref = 'r' AND version = 1" >/dev/null
qp "SET versioning.actor = 'reviewer'; UPDATE public.reviews SET status = 'draft' WHERE ref = 'r' AND version = 2" >/dev/null
qp "INSERT INTO public.reviews (ref, body) VALUES ('r', 'three')" >/dev/null
qp "UPDATE public.reviews SET body = 'three, edited' WHERE ref = 'r' AND version = 3" >/dev/null
qp "SELECT versioning.set_label('public.reviews', '{\"ref\": \"r\"}', 'approved', 1)" >/dev/null

# A session on the subscriber compiles kind rep_note's schema (version 1) in a rolled-back
# insert; then version 2 is registered on the publisher and replicated; the same session then
# inserts content version 2 refuses (rolled back again, so the subscriber's rows stay the
# publisher's). A fresh session is the control.
long_text='{"text": "longer than twenty characters"}'
probe="BEGIN; INSERT INTO public.notes (kind, ref, body) VALUES ('rep_note', 'probe', '$long_text') RETURNING version; ROLLBACK;"
schema_v2='{"type": "object", "required": ["text"], "properties": {"text": {"type": "string", "maxLength": 20}}}'
echo "SELECT versioning.register_schema('rep_note', '$schema_v2');" >"$base/register-v2.sql"
chmod 644 "$base/register-v2.sql"
out=$(psql_ "$sub_port" -At -v ON_ERROR_STOP=0 -v VERBOSITY=sqlstate 2>&1 <<EOF || true
$probe
\! "$bindir/psql" -X -q -At -h "$sock" -p $pub_port -U postgres -d postgres -f "$base/register-v2.sql"
DO \$\$ BEGIN
  FOR i IN 1..$((timeout * 10)) LOOP
    IF EXISTS (SELECT FROM versioning.schemas WHERE kind = 'rep_note' AND version = 2) THEN RETURN; END IF;
    PERFORM pg_sleep(0.1);
  END LOOP;
  RAISE EXCEPTION 'schema version 2 of rep_note did not arrive within $timeout s';
END \$\$;
$probe
EOF
)
# The session that compiled the kind's schema checks against the replicated next version: the
# registry's row trigger (enabled ALWAYS) sends the invalidation in the apply worker too.
check "subscriber: a session that compiled a kind's schema sees the replicated next schema version (insert, register on the publisher, insert)" \
  "1|2|ERROR:  23514" "$(paste -sd '|' <<<"$out")"
check "subscriber: a new session checks content against the replicated schema version 2 (23514)" "ERROR:  23514" \
  "$(sqlstate "$sub_port" "$probe")"

check "publisher: a note valid under schema version 2 is version 3" "3" \
  "$(qp "INSERT INTO public.notes (kind, ref, body) VALUES ('rep_note', 'n1', '{\"text\": \"third\"}') RETURNING version")"
check "publisher: a duplicate note is skipped" "" \
  "$(qp "INSERT INTO public.notes (kind, ref, body) VALUES ('rep_note', 'n1', '{\"text\": \"first\"}') RETURNING version")"
check "publisher: a note that fails schema version 2 is refused (23514)" "ERROR:  23514" \
  "$(sqlstate "$pub_port" "INSERT INTO public.notes (kind, ref, body) VALUES ('rep_note', 'n2', '$long_text')")"
check "publisher: a new selection version carries its 2 approved decisions forward" "2|2" \
  "$(qp "WITH s AS (INSERT INTO public.selections (cycle, notes) VALUES ('c1', 'second round') RETURNING id, version) SELECT version FROM s" >/dev/null
     qp "SELECT s.version || '|' || count(d.*) FROM public.selections s JOIN public.decisions d ON d.selection_id = s.id
          WHERE s.cycle = 'c1' AND s.version = 2 GROUP BY s.version")"
qp "INSERT INTO public.decisions (selection_id, sample, status)
    SELECT id, 's4', 'pending' FROM public.selections WHERE cycle = 'c1' AND version = 2" >/dev/null
t3=$(now_pub)
catch_up "streamed changes"

# --- 5. the state both sides must show (the publisher's proves the expectations) -------------
for side in publisher subscriber; do
  port=$(side_port "$side")
  check "$side: wf-a versions, states, stamps, soft delete" \
    "1 archived alice archived|2 published alice|3 draft deleted" \
    "$(q "$port" "SELECT string_agg(concat_ws(' ', version_number, state, published_by,
                                              CASE WHEN archived_at IS NOT NULL THEN 'archived' END,
                                              CASE WHEN deleted_at IS NOT NULL THEN 'deleted' END), '|' ORDER BY version_number)
                    FROM public.workflows WHERE workflow_id = 'wf-a'")"
  check "$side: wf-a and wf-c versions (2 duplicates skipped), wf-b soft-deleted" "wf-a 3|wf-b 1 deleted|wf-c 1" \
    "$(q "$port" "SELECT string_agg(w, '|' ORDER BY w) FROM (
                    SELECT concat_ws(' ', workflow_id, count(*), CASE WHEN bool_and(deleted_at IS NOT NULL) THEN 'deleted' END) w
                      FROM public.workflows GROUP BY workflow_id) s")"
  check "$side: review r: approved, back to draft (in left_editable), draft" "1 approved reviewer|2 draft reviewer|3 draft|true" \
    "$(q "$port" "SELECT string_agg(concat_ws(' ', version, status, submitted_by), '|' ORDER BY version)
                         || '|' || EXISTS (SELECT FROM versioning.left_editable WHERE table_name = 'public.reviews' AND version = 2)
                    FROM public.reviews WHERE ref = 'r'")"
  check "$side: label prod of wf-a moved from 1 to 2 (logged)" "2|1" \
    "$(q "$port" "SELECT versioning.label('public.workflows', '{\"workflow_id\": \"wf-a\"}', 'prod') || '|' ||
                         count(*) FILTER (WHERE action = 'label' AND (detail->>'from') = '1')
                    FROM versioning.log WHERE table_name = 'public.workflows'")"
  check "$side: 2 schema versions of rep_note; notes n1 1..3" "2|1 2 3" \
    "$(q "$port" "SELECT (SELECT max(version) FROM versioning.schemas WHERE kind = 'rep_note') || '|' ||
                         string_agg(version::text, ' ' ORDER BY version) FROM public.notes WHERE ref = 'n1'")"
done

# --- 6. every published table identical on both sides -----------------------------------------
declare -A compare=(
  [workflows]="SELECT x.* FROM public.workflows x ORDER BY x::text"
  [reviews]="SELECT x.* FROM public.reviews x ORDER BY x::text"
  [notes]="SELECT x.* FROM public.notes x ORDER BY x::text"
  [selections]="SELECT x.* FROM public.selections x ORDER BY x::text"
  [decisions]="SELECT x.* FROM public.decisions x ORDER BY x::text"
  [versioning.log]="SELECT x.* FROM versioning.log x ORDER BY x::text"
  [versioning.labels]="SELECT x.* FROM versioning.labels x ORDER BY x::text"
  [versioning.left_editable]="SELECT x.* FROM versioning.left_editable x ORDER BY x::text"
  [versioning.schemas]="SELECT x.* FROM versioning.schemas x ORDER BY x::text"
  # not published: written by the same calls on each side
  [versioning.tables]="SELECT table_name, config FROM versioning.tables ORDER BY table_name"
  [versioning.carry_forward]="SELECT x.* FROM versioning.carry_forward x ORDER BY x::text"
  [versioning.label_protections]="SELECT x.* FROM versioning.label_protections x ORDER BY x::text"
)
compare_order=(workflows reviews notes selections decisions versioning.log versioning.labels
               versioning.left_editable versioning.schemas versioning.tables versioning.carry_forward
               versioning.label_protections)
mkdir "$base/pub.rows" "$base/sub.rows"
for name in "${compare_order[@]}"; do
  copy_out "$pub_port" "${compare[$name]}" "$base/pub.rows/$name" || true
  copy_out "$sub_port" "${compare[$name]}" "$base/sub.rows/$name" || true
  rows=$(wc -l <"$base/pub.rows/$name")
  if [ "$rows" = 0 ]; then
    fail "$name: the publisher has rows to compare" "$(cat "$base/pub.rows/$name")"
  elif cmp -s "$base/pub.rows/$name" "$base/sub.rows/$name"; then
    pass "$name: every row identical on the subscriber ($rows rows)"
  else
    fail "$name differs on the subscriber" \
      "publisher $rows rows, subscriber $(wc -l <"$base/sub.rows/$name") rows; diff -u publisher subscriber:" \
      "$(diff -u "$base/pub.rows/$name" "$base/sub.rows/$name" | tail -n +4)"
  fi
done

answers() { psql_ "$1" -At -v t1="$t1" -v t2="$t2" -v t3="$t3" <"$here/answers.sql" 2>&1; }
answers "$pub_port" >"$base/pub.answers" || true
answers "$sub_port" >"$base/sub.answers" || true
if cmp -s "$base/pub.answers" "$base/sub.answers"; then
  pass "label, as_of, latest, history, get, diff, lineage, config: the same answers on both sides ($(wc -l <"$base/pub.answers") answers)"
else
  fail "the read functions answer differently on the subscriber" "$(diff -u "$base/pub.answers" "$base/sub.answers" | tail -n +4)"
fi
as_of_versions() {
  q "$1" "SELECT string_agg(coalesce(versioning.as_of('public.workflows', jsonb_build_object('workflow_id', k), at::timestamptz)->>'version_number', 'none'), ' ' ORDER BY n)
            FROM (VALUES (1, 'wf-a', '$t1'), (2, 'wf-a', '$t2'), (3, 'wf-a', '$t3'), (4, 'wf-b', '$t2'), (5, 'wf-b', '$t3')) v (n, k, at)"
}
for side in publisher subscriber; do
  check "$side: as_of(wf-a at t1, t2, t3; wf-b at t2, t3) (a soft-deleted latest is skipped)" "1 2 2 1 none" \
    "$(as_of_versions "$(side_port "$side")")"
  check "$side: labels prod and latest of wf-a, approved and latest of r" "2 2 1 3" \
    "$(q "$(side_port "$side")" "SELECT concat_ws(' ', versioning.label('public.workflows', '{\"workflow_id\": \"wf-a\"}', 'prod'),
                                                    versioning.label('public.workflows', '{\"workflow_id\": \"wf-a\"}', 'latest'),
                                                    versioning.label('public.reviews', '{\"ref\": \"r\"}', 'approved'),
                                                    versioning.label('public.reviews', '{\"ref\": \"r\"}', 'latest'))")"
done

# --- 7. the subscriber: triggers kept, rules hold for local writes ------------------------------
check "subscriber: the versioning triggers are ENABLE ORIGIN (tgenabled O)" "decisions:0 notes:O,O reviews:O,O selections:O,O,O workflows:O,O" \
  "$(qs "SELECT string_agg(r, ' ' ORDER BY r) FROM (
           SELECT c.oid::regclass || ':' || coalesce(string_agg(t.tgenabled::text, ',' ORDER BY t.tgname), '0') r
             FROM pg_class c LEFT JOIN pg_trigger t ON t.tgrelid = c.oid AND NOT t.tgisinternal
            WHERE c.oid IN ('public.workflows'::regclass, 'public.reviews'::regclass, 'public.notes'::regclass,
                            'public.selections'::regclass, 'public.decisions'::regclass)
            GROUP BY c.oid) s")"
check "subscriber: every stored hash is the hash of its content" "0" \
  "$(qs "SELECT count(*) FROM public.workflows WHERE content_hash IS DISTINCT FROM versioning.content_hash(definition)")"
check "subscriber: the review version that went submitted → draft is frozen (55000)" "ERROR:  55000" \
  "$(sqlstate "$sub_port" "UPDATE public.reviews SET body = 'changed' WHERE ref = 'r' AND version = 2")"
check "subscriber: a published workflow version is frozen (55000)" "ERROR:  55000" \
  "$(sqlstate "$sub_port" "UPDATE public.workflows SET definition = '{}' WHERE workflow_id = 'wf-a' AND version_number = 2")"
check "subscriber: a draft that never left draft stays editable (edit rolled back)" "3" \
  "$(psql_ "$sub_port" -At -c "BEGIN" -c "UPDATE public.reviews SET body = 'x' WHERE ref = 'r' AND version = 3 RETURNING version" \
       -c "ROLLBACK" 2>&1 || true)"

# --- 8. failover: the subscriber takes over -----------------------------------------------------
qs "ALTER SUBSCRIPTION pgv_sub DISABLE" >/dev/null
wait_for "failover: the subscription's apply worker stopped" "$sub_port" \
  "SELECT NOT EXISTS (SELECT FROM pg_stat_subscription WHERE subname = 'pgv_sub' AND pid IS NOT NULL)"
check "failover: sequences are not replicated: a bigserial insert collides with a replicated id (23505)" "ERROR:  23505" \
  "$(sqlstate "$sub_port" "INSERT INTO public.reviews (ref, body) VALUES ('r', 'four')")"

continue_versioning() { # SIDE: the same steps on either side, with the same expected answers
  local side=$1 port out log_before log_after
  port=$(side_port "$side")
  q "$port" "SELECT setval('public.reviews_id_seq', (SELECT max(id) FROM public.reviews))" >/dev/null
  log_before=$(q "$port" "SELECT count(*) FROM versioning.log WHERE action = 'create'") || true

  check "$side: wf-a continues at version 4, a draft whose parent is version 3" "4 draft true" \
    "$(q "$port" "INSERT INTO public.workflows (workflow_id, definition) VALUES ('wf-a', '{\"steps\": 5}')
                  RETURNING version_number || ' ' || state || ' ' ||
                            (parent_id = (SELECT id FROM public.workflows WHERE workflow_id = 'wf-a' AND version_number = 3))")"
  check "$side: content of wf-a's version 2 is a duplicate (skipped)" "" \
    "$(q "$port" "INSERT INTO public.workflows (workflow_id, definition) VALUES ('wf-a', '{\"steps\": 3.0}') RETURNING version_number")"
  check "$side: the edited content of wf-a's version 1 is a duplicate (skipped)" "" \
    "$(q "$port" "INSERT INTO public.workflows (workflow_id, definition) VALUES ('wf-a', '{\"steps\": 2}') RETURNING version_number")"
  check "$side: wf-b (its only version soft-deleted) continues at 2, wf-c at 2" "wf-b 2|wf-c 2" \
    "$(q "$port" "INSERT INTO public.workflows (workflow_id, definition) VALUES ('wf-b', '{\"steps\": [\"y\"]}'), ('wf-c', '{\"a\": 2}')
                  RETURNING workflow_id || ' ' || version_number" | paste -sd '|')"
  check "$side: published version 2 of wf-a stays frozen (55000)" "ERROR:  55000" \
    "$(sqlstate "$port" "UPDATE public.workflows SET definition = '{}' WHERE workflow_id = 'wf-a' AND version_number = 2")"
  check "$side: the new draft is editable and its hash follows" "t" \
    "$(q "$port" "UPDATE public.workflows SET definition = '{\"steps\": 6}' WHERE workflow_id = 'wf-a' AND version_number = 4
                  RETURNING content_hash = versioning.content_hash(definition)")"
  check "$side: publishing it stamps the actor" "published carol t" \
    "$(q "$port" "SET versioning.actor = 'carol';
                  SELECT r->>'state', r->>'published_by', (r->>'published_at') IS NOT NULL
                    FROM versioning.transition('public.workflows', '{\"workflow_id\": \"wf-a\"}', 4, 'published') r" | tr '|' ' ')"
  check "$side: label prod moves on to 4" "4" \
    "$(q "$port" "SELECT versioning.set_label('public.workflows', '{\"workflow_id\": \"wf-a\"}', 'prod', 4)" >/dev/null
       q "$port" "SELECT versioning.label('public.workflows', '{\"workflow_id\": \"wf-a\"}', 'prod')")"
  check "$side: as_of(wf-a, now) is version 4" "4" \
    "$(q "$port" "SELECT versioning.as_of('public.workflows', '{\"workflow_id\": \"wf-a\"}', clock_timestamp())->>'version_number'")"

  check "$side: the review version that went submitted → draft stays frozen (55000)" "ERROR:  55000" \
    "$(sqlstate "$port" "UPDATE public.reviews SET body = 'changed' WHERE ref = 'r' AND version = 2")"
  check "$side: review r continues at version 4" "4" \
    "$(q "$port" "INSERT INTO public.reviews (ref, body) VALUES ('r', 'four') RETURNING version")"
  check "$side: a duplicate review body is skipped" "" \
    "$(q "$port" "INSERT INTO public.reviews (ref, body) VALUES ('r', 'one') RETURNING version")"
  check "$side: version 3 submitted (stamped), then sent back to draft" "submitted dave|draft" \
    "$(q "$port" "SET versioning.actor = 'dave';
                  SELECT r->>'status' || ' ' || (r->>'submitted_by') FROM versioning.transition('public.reviews', '{\"ref\": \"r\"}', 3, 'submitted') r")|$(
       q "$port" "SELECT versioning.transition('public.reviews', '{\"ref\": \"r\"}', 3, 'draft')->>'status'")"
  check "$side: ... and is now frozen (55000)" "ERROR:  55000" \
    "$(sqlstate "$port" "UPDATE public.reviews SET body = 'changed' WHERE ref = 'r' AND version = 3")"
  check "$side: an approved review version is frozen; the approved label still points at 1" "ERROR:  55000|1" \
    "$(sqlstate "$port" "UPDATE public.reviews SET body = 'changed' WHERE ref = 'r' AND version = 1")|$(q "$port" "SELECT versioning.label('public.reviews', '{\"ref\": \"r\"}', 'approved')")"

  check "$side: a note that fails schema version 2 is refused (23514)" "ERROR:  23514" \
    "$(sqlstate "$port" "INSERT INTO public.notes (kind, ref, body) VALUES ('rep_note', 'n1', '$long_text')")"
  check "$side: a valid note continues n1 at version 4; a duplicate is skipped" "4|" \
    "$(q "$port" "INSERT INTO public.notes (kind, ref, body) VALUES ('rep_note', 'n1', '{\"text\": \"fourth\"}') RETURNING version")|$(q "$port" "INSERT INTO public.notes (kind, ref, body) VALUES ('rep_note', 'n1', '{\"text\": \"second\"}') RETURNING version")"
  check "$side: the next schema version of rep_note is 3" "3" \
    "$(q "$port" "SELECT versioning.register_schema('rep_note', '{\"type\": \"object\", \"required\": [\"text\"], \"properties\": {\"text\": {\"type\": \"string\", \"maxLength\": 30}}}')")"

  check "$side: selection c1 continues at version 3 and carries version 2's 2 approved decisions" "3|2|true" \
    "$(q "$port" "INSERT INTO public.selections (cycle, notes) VALUES ('c1', 'third round')" >/dev/null
       q "$port" "SELECT s.version || '|' || count(d.*) || '|' ||
                         bool_and(d.carried_from_version_id = (SELECT id FROM public.selections WHERE cycle = 'c1' AND version = 2))
                    FROM public.selections s JOIN public.decisions d ON d.selection_id = s.id
                   WHERE s.cycle = 'c1' AND s.version = 3 GROUP BY s.version")"

  log_after=$(q "$port" "SELECT count(*) FROM versioning.log WHERE action = 'create'") || true
  if [[ $log_before =~ ^[0-9]+$ && $log_after =~ ^[0-9]+$ ]]; then out=$((log_after - log_before)); else out="$log_before -> $log_after"; fi
  check "$side: the log recorded the 6 new versions (wf-a 4, wf-b 2, wf-c 2, r 4, n1 4, c1 3)" "6" "$out"
  check "$side: the versions of every key are exactly 1..N" "0" \
    "$(q "$port" "SELECT count(*) FROM (
                    SELECT FROM public.workflows GROUP BY workflow_id HAVING min(version_number) <> 1 OR max(version_number) <> count(*)
                    UNION ALL SELECT FROM public.reviews GROUP BY ref HAVING min(version) <> 1 OR max(version) <> count(*)
                    UNION ALL SELECT FROM public.notes GROUP BY ref HAVING min(version) <> 1 OR max(version) <> count(*)
                    UNION ALL SELECT FROM public.selections GROUP BY cycle HAVING min(version) <> 1 OR max(version) <> count(*)) s")"
}
continue_versioning subscriber
continue_versioning publisher

summary
[ "$failed" = 0 ]
