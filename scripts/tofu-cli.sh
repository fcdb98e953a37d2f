#!/usr/bin/env bash
# Prints the path of an OpenTofu CLI for `make testacc-tofu`: $TOFU_PATH if
# set, a `tofu` on PATH, else OpenTofu v1.10.6 built once from the Go module
# proxy into a cache outside the repository. Build progress goes to stderr.
set -euo pipefail

version="${TOFU_BUILD_VERSION:-1.10.6}"
cache="${COMPSHARE_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-compshare}"
binary="$cache/tofu-$version/tofu"

if [ -n "${TOFU_PATH:-}" ] && [ -x "$TOFU_PATH" ]; then
  echo "$TOFU_PATH"; exit 0
fi
if command -v tofu >/dev/null 2>&1; then
  command -v tofu; exit 0
fi
if [ -x "$binary" ]; then
  echo "$binary"; exit 0
fi

echo "tofu-cli: building OpenTofu v$version from the Go module proxy into $cache (several minutes, once)" >&2
work="$(mktemp -d)"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
dir="$(GOFLAGS=-mod=mod go mod download -json "github.com/opentofu/opentofu@v$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -d "$dir" ] || { echo "tofu-cli: could not download github.com/opentofu/opentofu@v$version" >&2; exit 1; }
cp -R "$dir" "$work/opentofu"
chmod -R u+w "$work/opentofu"
mkdir -p "$(dirname "$binary")"
(cd "$work/opentofu" && go build -trimpath -ldflags "-s -w" -o "$binary.tmp" ./cmd/tofu)
mv "$binary.tmp" "$binary"
echo "$binary"
