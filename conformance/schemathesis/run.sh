#!/usr/bin/env bash
# Fuzzes a real Roster server against its own OpenAPI document (GET /openapi.json) with
# Schemathesis: every documented operation, with generated valid and invalid input, checked for
# server errors and for answers (status, content type, body) that the document does not allow.
#
#   ROSTER_BIN=/path/to/roster bash conformance/schemathesis/run.sh
#
# With ROSTER_TEST_DATABASE_URL set to a PostgreSQL database, the server keeps its data in a
# schema of its own there (../python/roster_db.py) instead of an SQLite file.
# SCHEMATHESIS_MAX_EXAMPLES (default 40) bounds the cases per operation and phase, and
# SCHEMATHESIS_SEED (default 1) makes a run repeatable; `random` draws a fresh one.
#
# Builds nothing: the binary defaults to target/release/roster, then target/debug/roster.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

if [[ -z "${ROSTER_BIN:-}" ]]; then
  ROSTER_BIN="$repo/target/release/roster"
  [[ -x "$ROSTER_BIN" ]] || ROSTER_BIN="$repo/target/debug/roster"
fi
if [[ ! -x "$ROSTER_BIN" ]]; then
  echo "schemathesis/run.sh: no roster binary at $ROSTER_BIN; build it first" >&2
  exit 2
fi

python_bin="${PYTHON:-python3}"
venv="$here/.venv"
[[ -x "$venv/bin/python" ]] || "$python_bin" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"

server_dir="$(mktemp -d)"
server_pid=""
stop_server() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$server_dir"
}
trap stop_server EXIT

port="$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
key="sk_test_$("$venv/bin/python" -c 'import secrets; print(secrets.token_hex(16))')"
url="http://127.0.0.1:$port"
mkdir "$server_dir/data"
database_env=()
if [[ -n "${ROSTER_TEST_DATABASE_URL:-}" ]]; then
  database_env=("ROSTER_DATABASE_URL=$(cd "$here/../python" && "$venv/bin/python" -c \
    'import sys; from roster_db import database_env; print(database_env(sys.argv[1])["ROSTER_DATABASE_URL"])' \
    "$server_dir/data")")
fi
# Roster refuses unknown ROSTER_* settings (ROSTER_BIN) and a stray ROSTER_DATABASE_URL would
# defeat the fresh data folder: the server gets only these.
unset_args=()
for var in $(compgen -e); do
  if [[ "$var" == ROSTER_* && "$var" != ROSTER_LOG ]]; then unset_args+=(-u "$var"); fi
done
env ${unset_args[@]+"${unset_args[@]}"} ${database_env[@]+"${database_env[@]}"} \
  ROSTER_DATA_DIR="$server_dir/data" ROSTER_ADDR="127.0.0.1:$port" ROSTER_SECRET_KEY="$key" \
  "$ROSTER_BIN" serve >"$server_dir/server.log" 2>&1 &
server_pid=$!

seed="${SCHEMATHESIS_SEED:-1}"
seed_args=()
[[ "$seed" == random ]] || seed_args=(--seed "$seed")
status=0
# Stateful testing needs links between operations, which the document does not declare. One
# worker: with two, Hypothesis's lambda-source cache (not thread-safe) now and then fails a run
# with "AST constructor recursion depth mismatch".
# Run from the server's folder: Schemathesis keeps a crash cache in its working directory.
cd "$server_dir"
"$venv/bin/schemathesis" run "$url/openapi.json" \
  --wait-for-schema 60 \
  -H "Authorization: Bearer $key" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --phases examples,coverage,fuzzing \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-40}" \
  ${seed_args[@]+"${seed_args[@]}"} \
  --workers 1 \
  --generation-database none \
  --no-color || status=$?
if ((status != 0)); then
  echo "--- schemathesis found failures (exit $status); the server's log:" >&2
  cat "$server_dir/server.log" >&2
fi
exit "$status"
