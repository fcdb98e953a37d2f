#!/usr/bin/env bash
# Prints the path of an OpenTofu CLI for `make testacc-tofu`: $TOFU_PATH if
# set, a `tofu` on PATH, else OpenTofu v1.12.6 from the cache outside the
# repository, built there once from the Go module proxy. Messages go to
# stderr; only the path goes to stdout.
set -euo pipefail
source "$(dirname "$0")/lib/cli.sh"

# 1.12.x is supported until 2027-02 (1.10 ended 2026-08-01); v1.12.6 is the
# newest the Go module proxy serves whole.
version="${TOFU_BUILD_VERSION:-1.12.6}"
cache="${COMPSHARE_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-compshare}"
binary="$cache/tofu-$version/tofu"

if [ -n "${TOFU_PATH:-}" ] && [ -x "$TOFU_PATH" ]; then
  echo "$TOFU_PATH"; exit 0
fi
if command -v tofu >/dev/null 2>&1; then
  command -v tofu; exit 0
fi
# A binary built without version.dev=no (by an older version of this
# script) calls itself v$version-dev: build it again.
cached() {
  [ -x "$binary" ] || return 1
  local reported
  reported="$("$binary" version 2>/dev/null || true)"
  [[ "$reported" != *"v$version-dev"* ]]
}
if cached; then
  echo "$binary"; exit 0
fi

mkdir -p "$(dirname "$binary")"
log="$(dirname "$binary")/build.log"
# One build at a time: a second caller waits for the first and uses its binary.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$(dirname "$binary")/build.lock"
  if ! flock -n 9; then
    echo "tofu-cli: another OpenTofu v$version build is running (log: $log); waiting for it" >&2
    flock 9
  fi
  if cached; then echo "$binary"; exit 0; fi
fi

if [ -x "$binary" ]; then
  echo "tofu-cli: $binary calls itself v$version-dev (built without version.dev=no): building it again." >&2
else
  echo "tofu-cli: no OpenTofu found. To skip this build, set TOFU_PATH to one, or put a tofu on PATH." >&2
fi
echo "tofu-cli: building OpenTofu v$version from the Go module proxy into $cache: about 3 minutes on 2 idle cores, once; a line every 30 s; log: $log" >&2
work="$(mktemp -d)"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

# Errors are checked step by step: `set -e` does not apply inside a function
# whose status is tested.
build_tofu() {
  build_stage "downloading github.com/opentofu/opentofu@v$version"
  local json dir
  json="$(GOFLAGS=-mod=mod go mod download -json "github.com/opentofu/opentofu@v$version")"
  dir="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' <<<"$json")"
  [ -d "$dir" ] || { echo "$json"; echo "could not download github.com/opentofu/opentofu@v$version"; return 1; }
  cp -R "$dir" "$work/opentofu" && chmod -R u+w "$work/opentofu" || return 1
  build_stage "downloading dependencies and compiling (the longest part)"
  # Without version.dev=no, the binary calls itself v$version-dev, a
  # prerelease that version checks place below v$version.
  (cd "$work/opentofu" && go build -trimpath -ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" \
    -o "$binary.tmp" ./cmd/tofu) || return 1
  mv "$binary.tmp" "$binary"
}
run_build tofu-cli "$log" build_tofu
echo "$binary"
