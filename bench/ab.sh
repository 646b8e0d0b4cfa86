#!/usr/bin/env bash
# Compares release builds on identical data: seeds USERS users once with the first binary,
# then, ROUNDS times, runs each binary on a fresh copy of the seeded folder for a GET, a PATCH
# and a search at 4 connections. run.sh seeds random data every run, so its searches differ
# between runs by more than builds do; alternating on one data set keeps that out.
#
#   bash bench/ab.sh 100000 2 old/roster new/roster
set -euo pipefail
USERS=$1; ROUNDS=$2; shift 2
BINS=("$@")
cd "$(dirname "$0")/.."
export BENCH_DIR="$PWD/bench"
WORK=$(mktemp -d)
export BENCH_DATA=$WORK
export ROSTER_SECRET_KEY="sk_test_$(python3 -c 'import secrets; print(secrets.token_hex(20))')"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start() { # bin datadir
  PORT=$(port); BASE="http://127.0.0.1:$PORT"
  ROSTER_DATA_DIR="$2" ROSTER_ADDR="127.0.0.1:$PORT" ROSTER_LOG=warn "$1" serve > "$WORK/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 300); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done
}
stop() { kill $SERVER; wait $SERVER 2>/dev/null || true; }
start "${BINS[0]}" "$WORK/seed"
python3 bench/seed.py "$BASE" "$ROSTER_SECRET_KEY" "$USERS" "$WORK" >/dev/null
stop
for round in $(seq "$ROUNDS"); do
  for bin in "${BINS[@]}"; do
    rm -rf "$WORK/copy"; cp -a "$WORK/seed" "$WORK/copy"
    start "$bin" "$WORK/copy"
    sleep 1
    for s in "get_user.lua 32" "update_user.lua 32" "search.lua 4"; do
      set -- $s
      r=$(SEARCH_PARAM=query wrk --latency -t1 -c$2 -d${DURATION:-10s} -s bench/$1 "$BASE" | grep -E 'Requests/sec|  99%' | tr -s ' ' | tr '\n' ' ')
      echo "round=$round bin=$(basename $bin) $1 c$2: $r"
    done
    stop
  done
done
rm -rf "$WORK"
