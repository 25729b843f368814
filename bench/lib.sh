# Helpers of the benchmark scripts (sourced by bench/run.sh and bench/copy.sh, which set $db
# and $errors).
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
