#!/usr/bin/env bash
# Prints the path of a Terraform CLI for the tests and the demo.
#
# Order: $TF_ACC_TERRAFORM_PATH if set, a `terraform` on PATH if it is at
# least v1.14.0 (actions, which the tests cover, need it), else Terraform
# v1.16.4 built from the Go module proxy into a cache outside the repository
# (no prebuilt binary can be downloaded here). Build progress goes to
# stderr; only the path goes to stdout.
set -euo pipefail

version="${TERRAFORM_BUILD_VERSION:-1.16.4}"
# The commit the v1.16.4 tag points at, as the proxy's pseudo-version for the
# nested internal/* modules that Terraform's go.mod replaces with local paths.
internal_version="${TERRAFORM_INTERNAL_VERSION:-v0.0.0-20260923115756-6ee8af215a53}"
cache="${COMPSHARE_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-compshare}"
binary="$cache/terraform-$version/terraform"

if [ -n "${TF_ACC_TERRAFORM_PATH:-}" ] && [ -x "$TF_ACC_TERRAFORM_PATH" ]; then
  echo "$TF_ACC_TERRAFORM_PATH"; exit 0
fi
minimum="1.14.0"
if command -v terraform >/dev/null 2>&1; then
  found="$(terraform version -json 2>/dev/null | sed -n 's/.*"terraform_version": *"\([^"]*\)".*/\1/p')"
  if [ -n "$found" ] && [ "$(printf '%s\n%s\n' "$minimum" "$found" | sort -V | head -n 1)" = "$minimum" ]; then
    command -v terraform; exit 0
  fi
  echo "terraform-cli: ignoring terraform ${found:-of unknown version} on PATH: older than v$minimum" >&2
fi
if [ -x "$binary" ]; then
  echo "$binary"; exit 0
fi

echo "terraform-cli: building Terraform v$version from the Go module proxy into $cache (about 8 minutes, once)" >&2
work="$(mktemp -d)"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
export GOFLAGS=-mod=mod

dir="$(go mod download -json "github.com/hashicorp/terraform@v$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -d "$dir" ] || { echo "terraform-cli: could not download github.com/hashicorp/terraform@v$version" >&2; exit 1; }
cp -R "$dir" "$work/terraform"
chmod -R u+w "$work/terraform"

# Each `replace github.com/hashicorp/terraform/internal/X => ./internal/X`
# names a nested module missing from the module zip: fetch it and put it there.
grep -E '^[[:space:]]*(replace[[:space:]]+)?github.com/hashicorp/terraform/internal/[^[:space:]]+[[:space:]]+=>[[:space:]]+\./internal/' "$work/terraform/go.mod" |
  sed -E 's/^[[:space:]]*(replace[[:space:]]+)?//; s/[[:space:]]+=>.*$//' |
  while read -r module; do
    sub="${module#github.com/hashicorp/terraform/}"
    moddir="$(go mod download -json "$module@$internal_version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    [ -d "$moddir" ] || { echo "terraform-cli: could not download $module@$internal_version" >&2; exit 1; }
    rm -rf "${work:?}/terraform/$sub"
    mkdir -p "$work/terraform/$sub"
    cp -R "$moddir/." "$work/terraform/$sub/"
    chmod -R u+w "$work/terraform/$sub"
  done

mkdir -p "$(dirname "$binary")"
(cd "$work/terraform" && go build -trimpath -ldflags "-s -w -X github.com/hashicorp/terraform/version.dev=no" -o "$binary.tmp" .)
mv "$binary.tmp" "$binary"
echo "$binary"
