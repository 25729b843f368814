# Helpers of the benchmark scripts (sourced by bench/run.sh, bench/copy.sh and
# bench/instructions.sh, which set $db and $errors), and the bulk variants they measure.
psql_() { psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
per() { awk -v a="$1" -v n="$2" 'BEGIN {printf "%.1f", a * 1000 / n}'; } # ms over n → µs each
# spread "A1 A2 …" "B1 B2 …": min–max of the per-round ratios Ai / Bi (rounds paired in order)
spread() {
  paste <(printf '%s\n' $1) <(printf '%s\n' $2) | awk 'NF == 2 && $2 > 0 {r = $1 / $2; if (n++ == 0 || r < lo) lo = r; if (n == 1 || r > hi) hi = r}
    END {if (n) printf "%.2f–%.2f", lo, hi; else printf "-"}'
}
ints() { printf '%s\n' "$@" | awk '{printf "%s%.0f", (NR > 1 ? " " : ""), $1}'; }
# target LABEL VALUE OP LIMIT [NOTE]: a PASS/MISS line
target() {
  local verdict
  verdict=$(awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN {print ((op == "<=" && v <= l) || (op == ">=" && v >= l)) ? "PASS" : "MISS"}')
  printf '%-5s %-58s %6s×  (target %s %s×)  %s\n' "$verdict" "$1" "$2" "$3" "$4" "${5:-}"
}
wrong() { errors=$((errors + 1)); printf 'ERROR %s\n' "$*"; }
# log_records TABLE SOURCE: an INSERT of the log records of TABLE's rows into log_plain (shaped
# and indexed like versioning.log), their keys and versions read from SOURCE: the floor (f)
log_records() {
  echo "INSERT INTO log_plain (actor, table_name, key, version, action)
  SELECT current_user, 'public.$1', key, version, 'create' FROM $2"
}

# --- the bulk variants (bench/run.sh times them, bench/instructions.sh counts instructions) ---
declare -A label=(
  [plain]="(a) plain INSERT … SELECT"
  [plain_log]="(f) (a) + the log records, plain INSERT"
  [plpgsql]="(b) PL/pgSQL trigger"
  [pgv]="(c) pg_versioning (audit on)"
  [pgv_noaudit]="(c') pg_versioning, audit => false"
  [plain_parted]="(d) plain, 8 hash partitions"
  [pgv_parted]="(e) pg_versioning, 8 hash partitions"
)
declare -A cols=(
  [plain]="reference, version, content_hash, content" [plain_parted]="reference, version, content_hash, content"
  [plpgsql]="reference, content" [pgv]="reference, content" [pgv_noaudit]="reference, content"
  [pgv_parted]="reference, content"
)
# each variant's statement, its sources written @SRC@ and @SRC_LOG@ (the warm-up reads 10 rows)
declare -A statement=() target_table=()
for v in "${!cols[@]}"; do
  statement[$v]="INSERT INTO t_$v (${cols[$v]}) SELECT ${cols[$v]} FROM @SRC@"
  target_table[$v]=t_$v
done
# (f): the plain insert and the same log records (what versioning.log's rows and index cost)
statement[plain_log]="WITH plain AS (${statement[plain]}) $(log_records t_plain @SRC_LOG@)"
target_table[plain_log]=t_plain
# with_sources STATEMENT SRC SRC_LOG: the statement reading from these sources
with_sources() { local s=${1//@SRC@/$2}; echo "${s//@SRC_LOG@/$3}"; }
