#!/usr/bin/env bash
# Our gateway under the peers' standard mixed load, in the peers' run.sh format, so it can sit in
# their run-all.sh as one more row (named "gateway", after this directory):
#
#   ACCT_EXTRA=$PWD/bench/accounting/gateway/run.sh <peers copy>/run-all.sh
#   bench/accounting/gateway/run.sh [N] [PARALLEL]        (defaults 60000 / 64)
#
# Throwaway PostgreSQL 15 (fsync on), migrate, NAS row, gateway in server mode, warm-up (then the
# sessions are deleted), N packets through the peers' load/acct-load.sh (LOADER=radclient|node),
# verification, teardown. Last line:  gateway acct/s=<N> sent=<N> sessions_stored=<rows>/<sessions>
# (an Interim-Update that repeats a stored mapping writes nothing by design, so storage is checked
# per session: one active row per session with its own address and number). Exit 3 if not stored.
# Env: LOADER, WARMUP (2000), SESSIONS/CHUNK/PROCS (see acct-load.sh), PEERS_SRC.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$here/../../.." && pwd)
# shellcheck source=../lib/prereqs.sh
source "$here/../lib/prereqs.sh"

N=${1:-60000}
PARALLEL=${2:-64}
WARMUP=${WARMUP:-2000}
require_node24
if [[ -n ${PEERS_DIR:-} && -d ${PEERS_DIR}/node_modules/radius ]]; then
  PEERS=$PEERS_DIR
else
  prepare_peers "${PEERS_SRC:-$REPO/../shared/peers}"
fi
# shellcheck disable=SC1091
source "$PEERS/lib/common.sh"
# shellcheck disable=SC1091
source "$PEERS/lib/pg-throwaway.sh"
# shellcheck source=../lib/targets.sh
source "$here/../lib/targets.sh"

WORK=$(mktemp -d /tmp/rg-bench-gateway.XXXXXX)
cleanup() {
  local rc=$?
  stop_pid "$TRACKED_PID" acct-load
  target_stop
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "starting the gateway (throwaway PostgreSQL, migrate, NAS 127.0.0.0/8)"
target_start gateway
if (( WARMUP > 0 )); then
  log "warm-up: $WARMUP packets (then radius_sessions is emptied)"
  run_tracked "$WORK/warmup.out" "$PEERS/load/acct-load.sh" 127.0.0.1 "$T_PORT" "$SECRET" "$WARMUP" "$PARALLEL"
  pg_psql -c "delete from radius_sessions" >/dev/null
fi

log "measured run: $N packets, $PARALLEL in flight, LOADER=${LOADER:-radclient}"
c0=$(server_ticks)
run_tracked "$WORK/load.out" "$PEERS/load/acct-load.sh" 127.0.0.1 "$T_PORT" "$SECRET" "$N" "$PARALLEL"
c1=$(server_ticks)
load_line=$(tail -1 "$WORK/load.out")
echo "$load_line"

expect=$(sed -E 's/.* expect=([^ ]+).*/\1/' <<<"$load_line")
sessions=$(sed -nE 's/.*"sessions":([0-9]+).*/\1/p' "$expect")
lost=$(sed -E 's/.* lost=([0-9]+).*/\1/' <<<"$load_line")
verify_sessions bench- "$sessions" 0 "$lost"
rate=$(sed -E 's/.*acct\/s=([0-9]+).*/\1/' <<<"$load_line")
wall=$(sed -E 's/.*wall_s=([0-9.]+).*/\1/' <<<"$load_line")
responses=$(sed -E 's/.*responses=([0-9]+).*/\1/' <<<"$load_line")
awk -v a="$c0" -v b="$c1" -v w="$wall" -v hz="$CLK_TCK" -v r="$responses" 'BEGIN {
  c = (b - a) / hz
  printf "cpu: gateway+postgres=%d%% (of one core) -> %d acct per server-CPU-second\n", (w > 0 ? 100 * c / w : 0), (c > 0 ? r / c : 0) }'
echo "verify: $V_DETAIL ok=$V_OK (fsync=on synchronous_commit=on)"
rows=$(sed -E 's/^rows=([0-9]+).*/\1/' <<<"$V_DETAIL")
echo "gateway acct/s=$rate sent=$N sessions_stored=$rows/$sessions"
# Every packet must have been acknowledged too: an unanswered Interim leaves no trace in the rows.
(( V_OK == 1 && responses == N )) || exit 3
