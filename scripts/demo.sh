#!/usr/bin/env bash
# make demo: build the provider and the API emulator, start the emulator with
# two or three image builds, and let Terraform read them through the provider: a
# plan, an apply that waits for one build, and (Terraform 1.14 or later) the
# action watching another. Everything it starts or writes lives in a
# temporary directory and is removed on exit, except the emulator's request
# log, kept as $TMPDIR/compshare-demo-emulator.log (/tmp without TMPDIR); no
# account or network is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/cli.sh

# Any Terraform >= 1.5 runs the demo, so none is built for it; one >= 1.14
# that is already there (PATH, TF_ACC_TERRAFORM_PATH or the build cache)
# also shows the action.
terraform="$(scripts/terraform-cli.sh --no-build 1.14.0 2>/dev/null)" || terraform="$(scripts/terraform-cli.sh 1.5.0)"
terraform_version="$("$terraform" version -json 2>/dev/null | sed -n 's/.*"terraform_version": *"\([^"]*\)".*/\1/p')"
actions=no
if [ -n "$terraform_version" ] && version_at_least 1.14.0 "$terraform_version"; then actions=yes; fi

# Colour only on a terminal, so that a log of the demo stays readable.
if [ -t 1 ]; then
  color=()
  step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
else
  color=(-no-color)
  step() { printf '\n==> %s\n' "$*"; }
fi

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

echo "Terraform ${terraform_version:-of unknown version}: $terraform"
step "Building the provider and the emulator"
# With make build's flags (make demo passes its LDFLAGS), so that a make build
# afterwards reuses the build cache instead of compiling everything again.
build_flags=(-trimpath -ldflags "${LDFLAGS:--X main.version=dev}")
# Quietly, into a log: the builds would otherwise print a "go: downloading"
# line for each module missing from the cache (not the tools module: the
# demo needs none). A first run compiles for minutes: a line every 30 s.
build_demo() {
  build_stage "downloading the Go modules not yet in the cache"
  go mod download || return 1
  build_stage "compiling the provider and the emulator"
  go build "${build_flags[@]}" -o "$work/bin/terraform-provider-compshare" . || return 1
  go build -trimpath -o "$work/compshare-emulator" ./cmd/compshare-emulator
}
echo "Downloading the Go modules and compiling: about 2 minutes on a first run, with a line every 30 s; seconds after"
run_build demo "$work/build.log" build_demo

# Throwaway keys: the emulator checks every request's signature with them.
export COMPSHARE_PUBLIC_KEY="demo-public-key"
export COMPSHARE_PRIVATE_KEY="demo-private-key-$RANDOM$RANDOM"

# A seeded GPU instance, whose image builds take 25 s in uneven chunks and stay
# "Making" 3 s past 100 %, as real builds do.
cat >"$work/world.json" <<'JSON'
{
  "instances": [{"id": "uhost-demo-gpu", "name": "gpu-dev", "state": "Running", "gpu_type": "4090", "gpu": 1}],
  "new_build": {"total_seconds": 25, "shape": "chunks", "available_after_seconds": 3, "size_mb": 20480}
}
JSON
images=(-images-file "$work/world.json" -image compshareImage-demo-building:50s:20s -image compshareImage-demo-ready:300s:600s)
if [ "$actions" = yes ]; then images+=(-image compshareImage-demo-watch:75s:0s); fi
step "Starting the Compshare API emulator with instance uhost-demo-gpu and $((${#images[@]} / 2 - 1)) images"
"$work/compshare-emulator" \
  -listen 127.0.0.1:0 -url-file "$work/url" \
  -public-key "$COMPSHARE_PUBLIC_KEY" -private-key "$COMPSHARE_PRIVATE_KEY" \
  "${images[@]}" -log >"$work/emulator.log" 2>&1 &
emulator_pid=$!
for _ in $(seq 50); do [ -s "$work/url" ] && break; sleep 0.1; done
[ -s "$work/url" ] || { cat "$work/emulator.log"; echo "the emulator did not start" >&2; exit 1; }
export COMPSHARE_BASE_URL="$(cat "$work/url")"
echo "emulator at $COMPSHARE_BASE_URL"
echo "  uhost-demo-gpu:               a running GPU instance; apply builds an image of it (25 s, then 3 s until Available) and starts a new instance from the image"
echo "  compshareImage-demo-building: a 50 s build, 20 s in: apply will wait about 30 s"
echo "  compshareImage-demo-ready:    finished"
if [ "$actions" = yes ]; then
  echo "  compshareImage-demo-watch:    a 75 s build, just started: the action watches it after the apply"
fi

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
"$terraform" -chdir="$work/demo" plan -input=false -out=demo.tfplan ${color[@]+"${color[@]}"}

# The saved plan: apply does not print it a second time.
step "terraform apply: builds an image of the instance and starts a new GPU instance from it; what needs the images is created only once they are usable"
"$terraform" -chdir="$work/demo" apply -input=false -compact-warnings ${color[@]+"${color[@]}"} demo.tfplan

if [ "$actions" = yes ]; then
  cp -R examples/demo-action "$work/demo-action"
  step "terraform apply -invoke: the compshare_image_wait action reports a build's progress while it waits"
  "$terraform" -chdir="$work/demo-action" apply -input=false -auto-approve -compact-warnings \
    -invoke=action.compshare_image_wait.watch ${color[@]+"${color[@]}"}
else
  step "Skipping the action part: actions need Terraform >= 1.14, this is ${terraform_version:-of unknown version} (set TF_ACC_TERRAFORM_PATH to a newer one to see it)"
fi

# The full log (one line per request: action, image, HTTP status, RetCode,
# request id) outlives the temporary directory; a summary is enough here.
emulator_log="${TMPDIR:-/tmp}/compshare-demo-emulator.log"
step "What the provider asked the emulator"
requests="$(grep -c ' image=' "$work/emulator.log" || true)"
echo "the emulator answered $requests requests: $(awk '/ image=/ { n[$3]++ } END { for (a in n) print n[a], a }' "$work/emulator.log" |
  sort -k1,1rn -k2 | paste -sd, - | sed 's/,/, /g')"
errors="$(grep ' image=' "$work/emulator.log" | grep -cv ' http=200 retcode=0 ' || true)"
if [ "$errors" -gt 0 ]; then echo "  $errors of them with an HTTP error or a RetCode other than 0"; fi
if mv -f "$work/emulator.log" "$emulator_log" 2>/dev/null; then
  echo "the full request log, one line per request: $emulator_log"
fi

step "Done; stopping the emulator and removing $work"
