#!/usr/bin/env bash
# Password hashing under load, on a release build over loopback:
#   1. the cost of one argon2id hash at the default parameters (cargo bench);
#   2. verify_password and create-with-password throughput alone;
#   3. the same with GET /v1/users/{id} beside it at a steady pace (GET_CONNECTIONS connections,
#      each pausing PACE_MS between requests), whose latency shows what ordinary reads see while
#      the hashing pool is saturated.
# The target is throughput >= 90% of (cores / time of one hash) and GET p99 <= 10 ms.
#
#   bash bench/passwords.sh
#   DURATION=30s HASH_CONNECTIONS=16 bash bench/passwords.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-20s}
HASH_CONNECTIONS=${HASH_CONNECTIONS:-16}
GET_CONNECTIONS=${GET_CONNECTIONS:-4}
export PACE_MS=${PACE_MS:-10}

echo "== one hash"
cargo bench -q -p roster-password --bench argon2id 2>/dev/null | grep argon2id

source bench/server.sh
echo "cores: $(nproc)"

python3 bench/seed.py "$BASE" "$ROSTER_SECRET_KEY" 2000 "$BENCH_DATA" >/dev/null
for n in $(seq 64); do
    curl -sf -X POST "$BASE/v1/users" -H "Authorization: Bearer $ROSTER_SECRET_KEY" \
        -H 'Content-Type: application/json' -d '{"password":"bench passphrase 7f3a"}' \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
done > "$BENCH_DATA/password_ids.txt"

summary() { grep -E 'Requests/sec|Non-2xx|Socket errors|^ +(50|90|99)%'; }

alone() {
    echo "== $1 ($HASH_CONNECTIONS connections), alone"
    wrk --latency -t1 -c"$HASH_CONNECTIONS" -d"$DURATION" -s "$2" "$BASE" | summary
}

under_load() {
    local name=$1 script=$2
    echo "== $name ($HASH_CONNECTIONS connections) with paced GET /v1/users/{id} beside it ($GET_CONNECTIONS connections, ${PACE_MS} ms pause)"
    wrk --latency -t1 -c"$GET_CONNECTIONS" -d"$DURATION" -s bench/get_user_paced.lua "$BASE" > "$BENCH_DATA/get.txt" &
    local get=$!
    wrk --latency -t1 -c"$HASH_CONNECTIONS" -d"$DURATION" -s "$script" "$BASE" | summary
    wait $get
    echo "-- GET during that run"
    summary < "$BENCH_DATA/get.txt"
}
alone "POST /v1/users/{id}/verify_password" bench/verify_password.lua
alone "POST /v1/users with a password" bench/create_with_password.lua
under_load "POST /v1/users/{id}/verify_password" bench/verify_password.lua
under_load "POST /v1/users with a password" bench/create_with_password.lua
