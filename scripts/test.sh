#!/usr/bin/env bash
# The whole test suite: formatting and lints, then every Rust test (unit, integration over
# loopback HTTP, architecture rules), the Clerk SDKs (Python, JS and Rust) against a real
# server, and Schemathesis fuzzing a real server against its own OpenAPI document, twice: once
# on SQLite (the default) and once on PostgreSQL.
#
# The PostgreSQL pass makes a fresh database on the server at ROSTER_PG_ADMIN_URL (default
# postgres://postgres@127.0.0.1:5432/postgres), runs everything against it, and drops it. It is
# not optional: without a reachable PostgreSQL this script fails.
set -euo pipefail
cd "$(dirname "$0")/.."

admin_url="${ROSTER_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if ! command -v psql >/dev/null; then
    echo "test.sh: psql (the PostgreSQL client) is required for the PostgreSQL pass" >&2
    exit 1
fi
if ! psql "$admin_url" -qAtc 'SELECT 1' >/dev/null; then
    echo "test.sh: no PostgreSQL reachable at $admin_url (set ROSTER_PG_ADMIN_URL);" \
        "the PostgreSQL pass is part of the suite and is never skipped" >&2
    exit 1
fi

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# The Rust SDK suite is a package of its own (conformance/rust), held to the same rules.
cargo fmt --manifest-path conformance/rust/Cargo.toml --check
cargo clippy --manifest-path conformance/rust/Cargo.toml --all-targets --locked -- -D warnings

echo "=== SQLite"
cargo test --workspace --locked
# The integration tests above built the binary the SDK suites drive.
ROSTER_BIN="$PWD/target/debug/roster" bash conformance/run.sh
ROSTER_BIN="$PWD/target/debug/roster" bash conformance/schemathesis/run.sh

echo "=== PostgreSQL"
database="roster_test_$(date +%s)_$$"
psql "$admin_url" -qc "CREATE DATABASE $database"
trap 'psql "$admin_url" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null' EXIT
test_url="${admin_url%/*}/$database"
# Made here, in the public schema every test schema sees, rather than by the first migration
# to run, which would put it in that test's own schema.
psql "$test_url" -qc "CREATE EXTENSION IF NOT EXISTS pg_trgm"
export ROSTER_TEST_DATABASE_URL="$test_url"
cargo test --workspace --locked
ROSTER_BIN="$PWD/target/debug/roster" bash conformance/run.sh
ROSTER_BIN="$PWD/target/debug/roster" bash conformance/schemathesis/run.sh
