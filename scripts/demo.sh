#!/usr/bin/env bash
# One command from a fresh Debian/Ubuntu machine to a running demo; safe to run again.
#
#   install (scripts/setup.sh) -> migrate -> collectstatic -> seed_demo (first run only) -> the django-q2 worker
#   in the background and gunicorn on 0.0.0.0:${PORT:-8000} (WhiteNoise serves the static files).
#
# Ctrl-C (or SIGTERM) stops both: gunicorn gracefully, django-q2 with exactly one SIGTERM to its main process
# (a second signal deadlocks it), and whatever is still running after STOP_TIMEOUT seconds gets SIGKILL.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

export PORT="${PORT:-8000}"
export WAGTAILADMIN_BASE_URL="${WAGTAILADMIN_BASE_URL:-http://localhost:$PORT}"
STOP_TIMEOUT="${STOP_TIMEOUT:-10}"
PY=.venv/bin/python

if [ -t 1 ]; then BOLD=$'\033[1m' RESET=$'\033[0m'; else BOLD="" RESET=""; fi
step() { printf '%s==> %s%s\n' "$BOLD" "$*" "$RESET"; }

bash scripts/setup.sh
step "Migrating the database"
$PY manage.py migrate --noinput --verbosity 0
step "Collecting static files"
$PY manage.py collectstatic --noinput --verbosity 0
step "Demo data"
$PY manage.py seed_demo
if [ -z "${WALLET_APPLE_PASS_TYPE_ID:-}" ]; then
    # Apple Wallet passes signed by a demo certificate chain made on the first run (phones refuse it; openssl
    # verifies it against var/wallet-demo/root.pem). Real credentials in the environment take its place.
    step "Demo Apple Wallet certificates (var/wallet-demo/)"
    WALLET_DEMO_ENV="$($PY manage.py wallet_demo_ca)"
    while IFS= read -r line; do
        case "$line" in WALLET_APPLE_*=*) eval "export $line" ;; esac
    done <<<"$WALLET_DEMO_ENV"
    WALLET_DEMO=1
fi

mkdir -p var/log
QCLUSTER_PID=""
WEB_PID=""

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

stop() {
    trap - INT TERM
    set +e
    printf '\n'
    step "Stopping the web server and the worker"
    alive "$WEB_PID" && kill -TERM "$WEB_PID"
    alive "$QCLUSTER_PID" && kill -TERM "$QCLUSTER_PID" # once, and only the main process
    local pid deadline=$((SECONDS + STOP_TIMEOUT))
    for pid in $WEB_PID $QCLUSTER_PID; do
        while alive "$pid" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
    done
    # Each server leads its own process group (setsid): sweep what is left of it.
    for pid in $WEB_PID $QCLUSTER_PID; do
        if kill -0 -- "-$pid" 2>/dev/null; then
            step "Process group $pid still running after ${STOP_TIMEOUT}s: SIGKILL"
            kill -KILL -- "-$pid" 2>/dev/null
        fi
    done
    wait 2>/dev/null
    step "Stopped."
}
trap 'stop; exit 0' INT TERM

# setsid: a terminal's Ctrl-C goes to this script only, so each server gets exactly the one signal stop() sends.
detach=()
command -v setsid >/dev/null && detach=(setsid)

step "Starting the background worker (django-q2, log: var/log/qcluster.log)"
"${detach[@]}" $PY manage.py qcluster >>var/log/qcluster.log 2>&1 </dev/null &
QCLUSTER_PID=$!

step "Starting the web server on 0.0.0.0:$PORT"
"${detach[@]}" .venv/bin/gunicorn -c config/gunicorn.py config.wsgi:application --bind "0.0.0.0:$PORT" \
    --workers "${WEB_CONCURRENCY:-2}" --worker-class gthread --threads "${WEB_THREADS:-4}" \
    --graceful-timeout "$STOP_TIMEOUT" --access-logfile - </dev/null &
WEB_PID=$!

up=""
for _ in $(seq 1 120); do
    alive "$WEB_PID" || break
    if $PY -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
        "http://127.0.0.1:$PORT/admin/login/" 2>/dev/null; then
        up=1
        break
    fi
    sleep 0.5
done
if [ -z "$up" ]; then
    step "The web server did not come up on port $PORT (is the port taken?)"
    stop
    exit 1
fi

printf '\n%sKartka demo is running.%s\n' "$BOLD" "$RESET"
$PY manage.py seed_demo --summary
printf '  Portal root: http://localhost:%s/   Worker: django-q2 (pid %s, log var/log/qcluster.log)\n' \
    "$PORT" "$QCLUSTER_PID"
if [ -n "${WALLET_DEMO:-}" ]; then
    printf '  Wallet: sign in to a portal, open "My card", then "Add to Apple Wallet" downloads a .pkpass signed by the\n'
    printf '    DEMO certificate chain in var/wallet-demo/ (phones refuse it; unzip it and run the openssl line of\n'
    printf '    `.venv/bin/python manage.py wallet_demo_ca`). Google Wallet shows once WALLET_GOOGLE_* are set (README).\n'
fi
printf '%sPress Ctrl-C to stop.%s\n\n' "$BOLD" "$RESET"

set +e
wait -n
status=$?
step "A server exited on its own (status $status)"
stop
exit 1
