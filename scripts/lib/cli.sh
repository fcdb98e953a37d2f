# Sourced by the scripts that find a CLI, the demo and scripts/heartbeat.sh.
# with_heartbeat runs a long step with a line on stderr every 30 s, so that a
# first run does not look hung; run_build keeps a build's output in a log.

# version_at_least MINIMUM VERSION: whether VERSION >= MINIMUM (sort -V order).
version_at_least() {
  [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1)" = "$1" ]
}

# build_stage TEXT: what the build does now; the heartbeat repeats the latest.
build_stage() { echo "==> $*"; }

# with_heartbeat PREFIX COMMAND...: runs COMMAND, its output as it is, and
# prints "PREFIX: still running, XmYYs so far" on stderr every 30 s until
# it ends, so that a long silent step (a compile, a slow test package) does
# not look hung; with HEARTBEAT_LOG set, the line ends with the latest
# "==> " stage of that file. Returns COMMAND's status. The heartbeat sleeps
# one second at a time, so that once killed it holds no pipe open for long,
# and stops when the script is gone (interrupted before it could kill it).
with_heartbeat() {
  local prefix="$1"
  shift
  local start=$SECONDS
  {
    local next=$((SECONDS + 30))
    while sleep 1 && kill -0 $$ 2>/dev/null; do
      if [ "$SECONDS" -ge "$next" ]; then
        local elapsed=$((SECONDS - start)) stage=""
        if [ -n "${HEARTBEAT_LOG:-}" ]; then
          stage="$(sed -n 's/^==> //p' "$HEARTBEAT_LOG" | tail -n 1)"
          stage=": ${stage:-starting}"
        fi
        printf '%s: still running, %dm%02ds so far%s\n' "$prefix" $((elapsed / 60)) $((elapsed % 60)) "$stage"
        next=$((SECONDS + 30))
      fi
    done
  } >&2 &
  local heartbeat=$!
  local status=0
  "$@" || status=$?
  kill "$heartbeat" 2>/dev/null || true
  wait "$heartbeat" 2>/dev/null || true
  return "$status"
}

# in_log LOG COMMAND...: runs COMMAND with stdout and stderr appended to LOG.
in_log() {
  local log="$1"
  shift
  "$@" >>"$log" 2>&1
}

# run_build PREFIX LOG COMMAND...: runs COMMAND with its output appended to
# LOG, under a heartbeat that names the build's stage. On failure, prints
# the end of LOG.
run_build() {
  local prefix="$1" log="$2"
  shift 2
  : >"$log"
  local start=$SECONDS status=0
  HEARTBEAT_LOG="$log" with_heartbeat "$prefix" in_log "$log" "$@" || status=$?
  local elapsed=$((SECONDS - start))
  if [ "$status" -ne 0 ]; then
    echo "$prefix: the build failed after ${elapsed}s; the end of $log:" >&2
    tail -n 20 "$log" >&2
    return "$status"
  fi
  printf '%s: built in %dm%02ds\n' "$prefix" $((elapsed / 60)) $((elapsed % 60)) >&2
}
