#!/usr/bin/env bash
# make demo: build the provider and the API emulator, start the emulator with
# two image builds, and let Terraform read them through the provider.
# Everything it starts or writes lives in a temporary directory and is
# removed on exit; no account or network is needed.
set -euo pipefail
cd "$(dirname "$0")/.."

terraform="$(scripts/terraform-cli.sh)"
work="$(mktemp -d)"
emulator_pid=""
cleanup() {
  if [ -n "$emulator_pid" ]; then
    kill "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Building the provider and the emulator"
go build -o "$work/bin/terraform-provider-compshare" .
go build -o "$work/compshare-emulator" ./cmd/compshare-emulator

# Throwaway keys: the emulator checks every request's signature with them.
export COMPSHARE_PUBLIC_KEY="demo-public-key"
export COMPSHARE_PRIVATE_KEY="demo-private-key-$RANDOM$RANDOM"

step "Starting the Compshare API emulator with two images"
"$work/compshare-emulator" \
  -listen 127.0.0.1:0 -url-file "$work/url" \
  -public-key "$COMPSHARE_PUBLIC_KEY" -private-key "$COMPSHARE_PRIVATE_KEY" \
  -image compshareImage-demo-building:50s:20s \
  -image compshareImage-demo-ready:300s:600s \
  -log >"$work/emulator.log" 2>&1 &
emulator_pid=$!
for _ in $(seq 50); do [ -s "$work/url" ] && break; sleep 0.1; done
[ -s "$work/url" ] || { cat "$work/emulator.log"; echo "the emulator did not start" >&2; exit 1; }
export COMPSHARE_BASE_URL="$(cat "$work/url")"
echo "emulator at $COMPSHARE_BASE_URL"
echo "  compshareImage-demo-building: a 50 s build, 20 s in: apply will wait about 30 s"
echo "  compshareImage-demo-ready:    finished"

# A CLI configuration of its own: the locally built provider, nothing downloaded.
cat >"$work/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "compshare/compshare" = "$work/bin"
  }
  direct {}
}
RC
export TF_CLI_CONFIG_FILE="$work/terraformrc"
export TF_IN_AUTOMATION=1
cp -R examples/demo "$work/demo"

step "terraform plan: the data sources are read during plan; the wait warns how long apply will take"
"$terraform" -chdir="$work/demo" plan -input=false

step "terraform apply: the GPU instance stand-in is created only after the wait"
"$terraform" -chdir="$work/demo" apply -input=false -auto-approve -compact-warnings

step "The emulator's request log: what the provider asked, and when"
cat "$work/emulator.log"

step "Done; stopping the emulator and removing $work"
