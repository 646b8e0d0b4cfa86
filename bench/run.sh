#!/usr/bin/env bash
# Seeds a release build of Roster with USERS users (default 100000) and drives it with wrk over
# loopback: get a user, update a first name, and both substring searches. Prints wrk's summary
# (requests/s and latency percentiles) for each scenario.
#
#   bash bench/run.sh                 # SQLite, durability=full
#   USERS=20000 DURATION=10s bash bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
USERS=${USERS:-100000}
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-32}
BIN=${ROSTER_BIN:-target/release/roster}

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
[ -x "$BIN" ] || cargo build --release -p roster

export BENCH_DIR="$PWD/bench"
export BENCH_DATA=$(mktemp -d)
export ROSTER_SECRET_KEY="sk_test_bench$RANDOM$RANDOM"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"

ROSTER_DATA_DIR="$BENCH_DATA/data" ROSTER_ADDR="127.0.0.1:$PORT" ROSTER_LOG=warn \
    "$BIN" serve > "$BENCH_DATA/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$BENCH_DATA"' EXIT
for _ in $(seq 100); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done

echo "== seeding $USERS users"
start=$(date +%s.%N)
python3 bench/seed.py "$BASE" "$ROSTER_SECRET_KEY" "$USERS" "$BENCH_DATA"
echo "seeded in $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s"

scenario() {
    echo "== $1"
    shift
    wrk --latency -t1 -c"$CONNECTIONS" -d"$DURATION" "$@" "$BASE" | grep -E 'Requests/sec|Non-2xx|Socket errors|^ +(50|90|99)%|Latency  '
}
scenario "GET /v1/users/{id}" -s bench/get_user.lua
scenario "PATCH /v1/users/{id} (first_name)" -s bench/update_user.lua
SEARCH_PARAM=query scenario "GET /v1/users?query=<substring>" -s bench/search.lua
SEARCH_PARAM=email_address_query scenario "GET /v1/users?email_address_query=<substring>" -s bench/search.lua
