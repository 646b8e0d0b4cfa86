#!/usr/bin/env bash
# Organizations on a release build: USERS users (default 100000), ORGANIZATIONS organizations
# (default 10000) of MEMBERS members each (default 5), then a user's memberships and an
# organization name search under wrk.
#
#   bash bench/organizations.sh
set -euo pipefail
cd "$(dirname "$0")/.."
USERS=${USERS:-100000}
ORGANIZATIONS=${ORGANIZATIONS:-10000}
MEMBERS=${MEMBERS:-5}
DURATION=${DURATION:-10s}
source bench/server.sh
start=$(date +%s.%N)
python3 bench/seed.py "$BASE" "$ROSTER_SECRET_KEY" "$USERS" "$BENCH_DATA"
python3 bench/seed_organizations.py "$BASE" "$ROSTER_SECRET_KEY" "$ORGANIZATIONS" "$MEMBERS" "$BENCH_DATA"
echo "seeded $USERS users and $ORGANIZATIONS organizations in $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s"
for connections in 32 4; do
    echo "== GET /v1/users/{id}/organization_memberships ($connections connections)"
    wrk --latency -t1 -c$connections -d"$DURATION" -s bench/user_memberships.lua "$BASE" \
        | grep -E 'Requests/sec|Non-2xx|^ +(50|99)%'
    echo "== GET /v1/organizations?query=<name fragment> ($connections connections)"
    wrk --latency -t1 -c$connections -d"$DURATION" -s bench/organization_search.lua "$BASE" \
        | grep -E 'Requests/sec|Non-2xx|^ +(50|99)%'
done
