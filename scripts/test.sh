#!/usr/bin/env bash
# The whole test suite: formatting and lints, every Rust test (unit, integration over loopback
# HTTP, architecture rules), then the official Clerk SDKs (Python and JS) against a real server.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
# The integration tests above built the binary the SDK suites drive.
ROSTER_BIN="$PWD/target/debug/roster" bash conformance/run.sh
