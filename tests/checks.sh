# The checks of the scripted test tiers, sourced by their run.sh: each check prints "PASS  …" or
# "FAIL  …" (with what differed); the script ends with "<tier>: N passed, M failed".
#   check NAME EXPECTED ACTUAL,  pass NAME,  fail NAME [DETAIL…]
passed=0; failed=0
pass() { passed=$((passed + 1)); printf 'PASS  %s\n' "$1"; }
fail() { failed=$((failed + 1)); printf 'FAIL  %s\n' "$1"; shift; [ $# -gt 0 ] && printf '%s\n' "$@" | head -n 30 | sed 's/^/        /'; return 0; }
check() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected: $2" "actual:   $3"; fi; }
