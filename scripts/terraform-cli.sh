#!/usr/bin/env bash
# Prints the path of a Terraform CLI of at least version MINIMUM.
#
#   scripts/terraform-cli.sh [--no-build] [MINIMUM]
#
# MINIMUM defaults to 1.14.0, which actions (covered by the tests) need; the
# demo asks for 1.5.0. Order: $TF_ACC_TERRAFORM_PATH if set (taken as it is),
# a `terraform` on PATH if at least MINIMUM, Terraform v1.16.4 from the cache
# outside the repository, else that version built there from the Go module
# proxy (no prebuilt binary can be downloaded here): 8 to 16 minutes on 2
# cores, once. With --no-build it exits with status 3 instead of building.
# Messages go to stderr; only the path goes to stdout.
set -euo pipefail
source "$(dirname "$0")/lib/cli.sh"

build=yes
if [ "${1:-}" = "--no-build" ]; then build=no; shift; fi
minimum="${1:-1.14.0}"
version="${TERRAFORM_BUILD_VERSION:-1.16.4}"
# The commit the v1.16.4 tag points at, as the proxy's pseudo-version for the
# nested internal/* modules that Terraform's go.mod replaces with local paths.
internal_version="${TERRAFORM_INTERNAL_VERSION:-v0.0.0-20260923115756-6ee8af215a53}"
cache="${COMPSHARE_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-compshare}"
binary="$cache/terraform-$version/terraform"

if [ -n "${TF_ACC_TERRAFORM_PATH:-}" ] && [ -x "$TF_ACC_TERRAFORM_PATH" ]; then
  echo "$TF_ACC_TERRAFORM_PATH"; exit 0
fi
if command -v terraform >/dev/null 2>&1; then
  found="$(terraform version -json 2>/dev/null | sed -n 's/.*"terraform_version": *"\([^"]*\)".*/\1/p')"
  if [ -n "$found" ] && version_at_least "$minimum" "$found"; then
    command -v terraform; exit 0
  fi
  echo "terraform-cli: ignoring terraform ${found:-of unknown version} on PATH: older than v$minimum" >&2
fi
if [ -x "$binary" ]; then
  echo "$binary"; exit 0
fi
[ "$build" = yes ] || exit 3

mkdir -p "$(dirname "$binary")"
log="$(dirname "$binary")/build.log"
# One build at a time: a second caller waits for the first and uses its binary.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$(dirname "$binary")/build.lock"
  if ! flock -n 9; then
    echo "terraform-cli: another Terraform v$version build is running (log: $log); waiting for it" >&2
    flock 9
  fi
  if [ -x "$binary" ]; then echo "$binary"; exit 0; fi
fi

echo "terraform-cli: no Terraform >= v$minimum found. To skip this build, set TF_ACC_TERRAFORM_PATH to one, or put one on PATH." >&2
echo "terraform-cli: building Terraform v$version from the Go module proxy into $cache: 8 to 16 minutes on 2 cores, once; a line every 30 s; log: $log" >&2
work="$(mktemp -d)"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

# Errors are checked step by step: `set -e` does not apply inside a function
# whose status is tested.
build_terraform() {
  export GOFLAGS=-mod=mod
  build_stage "downloading github.com/hashicorp/terraform@v$version"
  local json dir
  json="$(go mod download -json "github.com/hashicorp/terraform@v$version")"
  dir="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' <<<"$json")"
  [ -d "$dir" ] || { echo "$json"; echo "could not download github.com/hashicorp/terraform@v$version"; return 1; }
  cp -R "$dir" "$work/terraform" && chmod -R u+w "$work/terraform" || return 1

  # Each `replace github.com/hashicorp/terraform/internal/X => ./internal/X`
  # names a nested module missing from the module zip: fetch it and put it there.
  build_stage "downloading the nested internal/* modules"
  grep -E '^[[:space:]]*(replace[[:space:]]+)?github.com/hashicorp/terraform/internal/[^[:space:]]+[[:space:]]+=>[[:space:]]+\./internal/' "$work/terraform/go.mod" |
    sed -E 's/^[[:space:]]*(replace[[:space:]]+)?//; s/[[:space:]]+=>.*$//' |
    while read -r module; do
      sub="${module#github.com/hashicorp/terraform/}"
      json="$(go mod download -json "$module@$internal_version")"
      moddir="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' <<<"$json")"
      [ -d "$moddir" ] || { echo "$json"; echo "could not download $module@$internal_version"; exit 1; }
      rm -rf "${work:?}/terraform/$sub" && mkdir -p "$work/terraform/$sub" &&
        cp -R "$moddir/." "$work/terraform/$sub/" && chmod -R u+w "$work/terraform/$sub" || exit 1
    done || return 1

  build_stage "downloading dependencies and compiling (the longest part)"
  (cd "$work/terraform" && go build -trimpath -ldflags "-s -w -X github.com/hashicorp/terraform/version.dev=no" -o "$binary.tmp" .) || return 1
  mv "$binary.tmp" "$binary"
}
run_build terraform-cli "$log" build_terraform
echo "$binary"
