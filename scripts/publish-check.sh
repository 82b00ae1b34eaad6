#!/usr/bin/env bash
# Checks that both library crates package and verify as crates.io would receive them:
# `cargo publish --dry-run` with both packages packages each one, then builds the
# packaged sources on their own (README, licence files and every included file must be
# inside the crate), stackgrad-std against the packaged stackgrad through a temporary
# local registry. Nothing is uploaded. Needs the crates.io index.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo publish --dry-run -p stackgrad -p stackgrad-std "$@"
