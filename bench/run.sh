#!/usr/bin/env bash
# Seeds a release build of Roster with USERS users (default 100000) and drives it with wrk over
# loopback: get a user, update a first name, and both substring searches. Prints wrk's summary
# (requests/s and latency percentiles) for each scenario.
#
#   bash bench/run.sh                 # SQLite, durability=full
#   DATABASE=postgres bash bench/run.sh   # a fresh PostgreSQL database
#   USERS=20000 DURATION=10s bash bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
USERS=${USERS:-100000}
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-32}
source bench/server.sh

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
