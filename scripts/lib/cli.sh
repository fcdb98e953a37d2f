# Sourced by the scripts that find a CLI. run_build runs a long CLI build with its
# output kept in a log file and a heartbeat on stderr, so that a first run
# does not look hung.

# version_at_least MINIMUM VERSION: whether VERSION >= MINIMUM (sort -V order).
version_at_least() {
  [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1)" = "$1" ]
}

# build_stage TEXT: what the build does now; the heartbeat repeats the latest.
build_stage() { echo "==> $*"; }

# run_build PREFIX LOG COMMAND...: runs COMMAND with stdout and stderr
# appended to LOG and prints "PREFIX: still building, ..." on stderr every
# 30 s. On failure, prints the end of LOG. The heartbeat sleeps one second at
# a time, so that once killed it holds no pipe open for long, and stops when
# the script is gone (interrupted before it could kill the heartbeat).
run_build() {
  local prefix="$1" log="$2"
  shift 2
  : >"$log"
  local start=$SECONDS
  {
    local next=$((SECONDS + 30))
    while sleep 1 && kill -0 $$ 2>/dev/null; do
      if [ "$SECONDS" -ge "$next" ]; then
        local elapsed=$((SECONDS - start)) stage
        stage="$(sed -n 's/^==> //p' "$log" | tail -n 1)"
        printf '%s: still building, %dm%02ds so far: %s\n' "$prefix" $((elapsed / 60)) $((elapsed % 60)) "${stage:-starting}"
        next=$((SECONDS + 30))
      fi
    done
  } >&2 &
  local heartbeat=$!
  local status=0
  "$@" >>"$log" 2>&1 || status=$?
  kill "$heartbeat" 2>/dev/null || true
  wait "$heartbeat" 2>/dev/null || true
  local elapsed=$((SECONDS - start))
  if [ "$status" -ne 0 ]; then
    echo "$prefix: the build failed after ${elapsed}s; the end of $log:" >&2
    tail -n 20 "$log" >&2
    return "$status"
  fi
  printf '%s: built in %dm%02ds\n' "$prefix" $((elapsed / 60)) $((elapsed % 60)) >&2
}
