#!/usr/bin/env bash
# Runs the Clerk SDKs (Python, JS and Rust) against a real Roster server, one fresh server per
# suite so that no suite can see another's users.
#
#   ROSTER_BIN=/path/to/roster bash conformance/run.sh
#
# With ROSTER_TEST_DATABASE_URL set to a PostgreSQL database, every server keeps its data in a
# schema of its own there (python/roster_db.py) instead of an SQLite file.
#
# Builds nothing: the binary defaults to target/release/roster, then target/debug/roster.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"

if [[ -z "${ROSTER_BIN:-}" ]]; then
  ROSTER_BIN="$repo/target/release/roster"
  [[ -x "$ROSTER_BIN" ]] || ROSTER_BIN="$repo/target/debug/roster"
fi
if [[ ! -x "$ROSTER_BIN" ]]; then
  echo "run.sh: no roster binary at $ROSTER_BIN; build it first (cargo build -p roster)" >&2
  exit 2
fi
echo "run.sh: using $ROSTER_BIN"

python_bin="${PYTHON:-python3}"

# Tooling is installed before any server starts, so a slow install cannot eat into test timeouts.
venv="$here/python/.venv"
[[ -x "$venv/bin/python" ]] || "$python_bin" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/python/requirements.txt"
(cd "$here/js" && npm ci --silent --no-audit --no-fund)
(cd "$here/rust" && cargo test --locked --quiet --no-run)

server_pid=""
server_dir=""
server_log=""
suite_url=""
suite_key=""

free_port() {
  "$python_bin" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

stop_server() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
  if [[ -n "$server_dir" ]]; then
    rm -rf "$server_dir"
    server_dir=""
  fi
}
trap stop_server EXIT

healthy() {
  "$python_bin" - "$1" <<'PY' 2>/dev/null
import sys, urllib.request
try:
    sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=2).status == 200 else 1)
except Exception:
    sys.exit(1)
PY
}

# Starts a fresh server; sets suite_url and suite_key for the suite about to run.
start_server() {
  local port var
  port="$(free_port)"
  suite_key="sk_test_$("$python_bin" -c 'import secrets; print(secrets.token_hex(16))')"
  suite_url="http://127.0.0.1:$port"
  server_dir="$(mktemp -d)"
  server_log="$server_dir/server.log"
  mkdir "$server_dir/data"
  # On PostgreSQL the data folder names the server's schema, the same one the suites'
  # `roster mail list` finds (python/roster_db.py).
  local -a database_env=()
  if [[ -n "${ROSTER_TEST_DATABASE_URL:-}" ]]; then
    database_env=("ROSTER_DATABASE_URL=$(cd "$here/python" && "$venv/bin/python" -c \
      'import sys; from roster_db import database_env; print(database_env(sys.argv[1])["ROSTER_DATABASE_URL"])' \
      "$server_dir/data")") || return 1
  fi
  # Roster reads every ROSTER_* variable as a setting and refuses unknown ones (ROSTER_BIN), and a
  # stray one such as ROSTER_DATABASE_URL would defeat the fresh data folder: pass only ours.
  # The suites' webhook receivers listen on 127.0.0.1, which Roster refuses by default.
  local -a unset_args=()
  for var in $(compgen -e); do
    if [[ "$var" == ROSTER_* && "$var" != ROSTER_LOG ]]; then unset_args+=(-u "$var"); fi
  done
  env ${unset_args[@]+"${unset_args[@]}"} ${database_env[@]+"${database_env[@]}"} \
    ROSTER_DATA_DIR="$server_dir/data" ROSTER_ADDR="127.0.0.1:$port" ROSTER_SECRET_KEY="$suite_key" \
    ROSTER_WEBHOOKS__ALLOW_PRIVATE_TARGETS=true \
    "$ROSTER_BIN" serve >"$server_log" 2>&1 &
  server_pid=$!

  local deadline=$((SECONDS + 60))
  until healthy "$suite_url/healthz"; do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "run.sh: roster exited before becoming healthy; its log:" >&2
      cat "$server_log" >&2
      return 1
    fi
    if ((SECONDS > deadline)); then
      echo "run.sh: roster did not answer /healthz within 60 s; its log:" >&2
      cat "$server_log" >&2
      return 1
    fi
    sleep 0.1
  done
}

# run_suite NAME COMMAND... : one fresh server, the suite, the server's log if the suite failed.
run_suite() {
  local name="$1"
  shift
  echo "=== $name suite"
  # errexit is off inside a function called from `||`, so every failure is checked by hand.
  if ! start_server; then
    stop_server
    return 1
  fi
  local status=0
  # The suites read queued messages (verification codes) with `roster mail list` on the
  # server's data folder, as a developer without an SMTP server would; the webhook tests start
  # servers of their own from SUITE_ROSTER_BIN (they kill and restart one).
  ROSTER_URL="$suite_url" ROSTER_SECRET_KEY="$suite_key" \
    SUITE_ROSTER_BIN="$ROSTER_BIN" SUITE_DATA_DIR="$server_dir/data" "$@" || status=$?
  if ((status != 0)); then
    echo "--- $name suite failed (exit $status); server log:" >&2
    cat "$server_log" >&2
  fi
  stop_server
  return "$status"
}

failed=()
run_suite python bash -c 'cd "$1/python" && exec .venv/bin/python -m pytest -q' _ "$here" || failed+=(python)
run_suite js bash -c 'cd "$1/js" && exec node --test' _ "$here" || failed+=(js)
run_suite rust bash -c 'cd "$1/rust" && exec cargo test --locked --quiet' _ "$here" || failed+=(rust)

if ((${#failed[@]})); then
  echo "run.sh: failed suites: ${failed[*]}" >&2
  exit 1
fi
echo "run.sh: all SDK suites passed"
