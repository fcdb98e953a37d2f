#!/usr/bin/env bash
# heartbeat.sh PREFIX COMMAND...: runs COMMAND and prints "PREFIX: still
# running, XmYYs so far" on stderr every 30 s while it runs (for make
# targets whose steps can be silent for minutes). Exits with COMMAND's status.
set -euo pipefail
source "$(dirname "$0")/lib/cli.sh"
with_heartbeat "$@"
