#!/usr/bin/env bash
# The test command (README, .ci/run): formatting, lints, and every test of the
# workspace. Corpus tests run when BTFKIT_CORPUS points at the corpus (CI sets it) and
# fail if it is set but the data is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cargo fmt --all -- --check
cargo clippy --release --all-targets -- -D warnings
# The published crates must package (metadata, versioned path dependencies); --allow-dirty
# so that the script also runs on a work tree with uncommitted changes.
cargo package --no-verify --quiet --allow-dirty -p btfkit -p btfkit-cli
cargo test --release --workspace
