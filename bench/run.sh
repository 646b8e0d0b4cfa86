#!/usr/bin/env bash
# Seeds a release build of Roster with USERS users (default 100000) and drives it with wrk over
# loopback: get a user, update a first name, and both substring searches. Prints wrk's summary
# (requests/s and latency percentiles) for each scenario. Every scenario runs at CONNECTIONS
# connections, which saturates the server; the searches run again at SEARCH_CONNECTIONS, where
# their latency is the time a search takes rather than the time it queues.
#
#   bash bench/run.sh                 # SQLite, durability=full
#   DATABASE=postgres bash bench/run.sh   # a fresh PostgreSQL database
#   USERS=20000 DURATION=10s bash bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
USERS=${USERS:-100000}
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-32}
SEARCH_CONNECTIONS=${SEARCH_CONNECTIONS:-4}
source bench/server.sh

echo "== seeding $USERS users"
start=$(date +%s.%N)
python3 bench/seed.py "$BASE" "$ROSTER_SECRET_KEY" "$USERS" "$BENCH_DATA"
echo "seeded in $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s"

scenario() {
    local name=$1 connections=$2
    shift 2
    echo "== $name ($connections connections)"
    wrk --latency -t1 -c"$connections" -d"$DURATION" "$@" "$BASE" | grep -E 'Requests/sec|Non-2xx|Socket errors|^ +(50|90|99)%|Latency  '
}
scenario "GET /v1/users/{id}" "$CONNECTIONS" -s bench/get_user.lua
scenario "PATCH /v1/users/{id} (first_name)" "$CONNECTIONS" -s bench/update_user.lua
for connections in "$CONNECTIONS" "$SEARCH_CONNECTIONS"; do
    SEARCH_PARAM=query scenario "GET /v1/users?query=<substring>" "$connections" -s bench/search.lua
    SEARCH_PARAM=email_address_query scenario "GET /v1/users?email_address_query=<substring>" \
        "$connections" -s bench/search.lua
done
