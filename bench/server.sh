# Sourced by the bench scripts: makes sure wrk and a release build exist, then starts Roster on a
# free loopback port with a fresh data folder and stops it (and removes the folder) on exit.
# Sets BASE, BENCH_DIR, BENCH_DATA and ROSTER_SECRET_KEY.
#
# DATABASE=postgres runs Roster on a fresh PostgreSQL database instead (made on the server at
# ROSTER_PG_ADMIN_URL, default postgres://postgres@127.0.0.1:5432/postgres, dropped on exit).
BIN=${ROSTER_BIN:-target/release/roster}

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
[ -x "$BIN" ] || cargo build --release -p roster

export BENCH_DIR="$PWD/bench"
export BENCH_DATA=$(mktemp -d)
export ROSTER_SECRET_KEY="sk_test_$(python3 -c 'import secrets; print(secrets.token_hex(20))')"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"

BENCH_DATABASE=""
if [ "${DATABASE:-sqlite}" = postgres ]; then
    admin_url="${ROSTER_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
    BENCH_DATABASE="roster_bench_$$"
    psql "$admin_url" -qc "CREATE DATABASE $BENCH_DATABASE"
    export ROSTER_DATABASE_URL="${admin_url%/*}/$BENCH_DATABASE"
fi

ROSTER_DATA_DIR="$BENCH_DATA/data" ROSTER_ADDR="127.0.0.1:$PORT" ROSTER_LOG=warn \
    "$BIN" serve > "$BENCH_DATA/server.log" 2>&1 &
SERVER=$!
cleanup() {
    kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$BENCH_DATA"
    if [ -n "$BENCH_DATABASE" ]; then
        psql "$admin_url" -qc "DROP DATABASE IF EXISTS $BENCH_DATABASE WITH (FORCE)"
    fi
}
trap cleanup EXIT
for _ in $(seq 100); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done
