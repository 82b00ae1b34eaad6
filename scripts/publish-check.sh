#!/usr/bin/env bash
# Checks that both library crates package as crates.io would receive them.
#
# - stackgrad: `cargo publish --dry-run` packages the crate and verifies it, that is,
#   builds the packaged sources on their own (the README, licence files and every
#   file `lib.rs` includes must be inside the crate), without uploading anything.
# - stackgrad-std: packaged and its file list printed, but not verified. Verifying
#   builds the package against its dependencies from the registry, and its dependency
#   `stackgrad = { path = "../core", version = "0.1.0" }` resolves to crates.io once
#   packaged: until that version of stackgrad is published, the build cannot find it.
#   After stackgrad is on crates.io, `cargo publish --dry-run -p stackgrad-std` works.
#
# Needs the crates.io index (to resolve the dependencies); uploads nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "=== cargo publish --dry-run -p stackgrad"
cargo publish --dry-run -p stackgrad

echo "=== cargo package -p stackgrad-std --no-verify --list"
cargo package -p stackgrad-std --no-verify --list
