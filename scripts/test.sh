#!/usr/bin/env bash
# The full check, from a fresh machine: install (scripts/setup.sh), then lint, Django checks and the test suite.
#
#   bash scripts/test.sh                      # SQLite
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/kartka bash scripts/test.sh   # PostgreSQL (test_kartka), then SQLite
#   bash scripts/test.sh -k seed -x           # extra arguments go to pytest (both runs)
#
# Every step runs even if an earlier one failed; the exit status is non-zero if any failed.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh || exit 1

export PATH="$ROOT/.venv/bin:$PATH"
if [ -t 1 ]; then BOLD=$'\033[1m' RED=$'\033[31m' RESET=$'\033[0m'; else BOLD="" RED="" RESET=""; fi
failed=()
run() {
    local name="$1"
    shift
    printf '%s==> %s%s\n' "$BOLD" "$name" "$RESET"
    "$@" || failed+=("$name")
}

run "ruff check" ruff check .
run "ruff format --check" ruff format --check .
run "manage.py check" python manage.py check
run "makemigrations --check" python manage.py makemigrations --check --dry-run
# Two workers (CI has two cores); arguments given to this script come after, so `-n 0` or `-n 4` wins.
database="sqlite"
[ -n "${DATABASE_URL:-}" ] && database="${DATABASE_URL%%:*}"
run "pytest ($database)" python -m pytest -n 2 "$@"
# PostgreSQL is production's database and SQLite the embedded default: a PostgreSQL run tests SQLite too.
case "$database" in
    postgres | postgresql | pgsql)
        run "pytest (sqlite)" env -u DATABASE_URL python -m pytest -n 2 "$@"
        ;;
esac

if [ "${#failed[@]}" -gt 0 ]; then
    printf '%sFailed: %s%s\n' "$RED" "$(IFS=,; echo "${failed[*]}" | sed 's/,/, /g')" "$RESET"
    exit 1
fi
printf '%sAll checks passed.%s\n' "$BOLD" "$RESET"
