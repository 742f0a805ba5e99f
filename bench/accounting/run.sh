#!/usr/bin/env bash
# Accounting benchmark: `npm run bench:accounting`. See bench/README.md.
#
# For each target (our gateway, FreeRADIUS+SQL, Node+PG batched, the Node limit), started fresh with
# its own throwaway PostgreSQL 15 (fsync on) and warmed up: K sessions' Starts, verify, then R rounds
# of those sessions' Interim-Updates, verify — measured with bench/accounting/acct-loader.ts, which
# records every request's acknowledgement latency. ROUNDS interleaved rounds (gateway, FreeRADIUS,
# Node+PG, Node limit, gateway, ...). Then the peers' own mixed-load scripts as a cross-check, with a
# radclient row for reference. Prints one summary table with the ratios the issue targets.
# Exit 0 whatever the ratios; 1 if a target could not be measured, 3 if an answered packet was not stored.
#
# Env: ROUNDS (3), BUDGET_S (400: no new round starts that would end past it), ACCT_SESSIONS (20000),
#      INTERIM_ROUNDS (3), PARALLEL (64), WARMUP_SESSIONS (1000), LOAD_MAX_S (60 per load),
#      TARGETS ("gateway freeradius-sql node-pg node-limit"), RADCLIENT_N (20000: mixed-load
#      radclient rows for the gateway and FreeRADIUS; 0 = none), MIXED (0; 1 = also every target
#      through the peers' own run.sh scripts with LOADER=node, MIXED_N packets, default 60000),
#      PEERS_SRC (../shared/peers beside the clone), BENCH_OUT (results dir), FR_THREADS (16).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$here/../.." && pwd)
# shellcheck source=lib/prereqs.sh
source "$here/lib/prereqs.sh"

ROUNDS=${ROUNDS:-3}
BUDGET_S=${BUDGET_S:-400}
ACCT_SESSIONS=${ACCT_SESSIONS:-20000}
INTERIM_ROUNDS=${INTERIM_ROUNDS:-3}
PARALLEL=${PARALLEL:-64}
WARMUP_SESSIONS=${WARMUP_SESSIONS:-1000}
TARGETS=${TARGETS:-gateway freeradius-sql node-pg node-limit}
LOAD_MAX_S=${LOAD_MAX_S:-60}
MIXED=${MIXED:-0}
MIXED_N=${MIXED_N:-60000}
RADCLIENT_N=${RADCLIENT_N:-20000}
for v in ROUNDS BUDGET_S ACCT_SESSIONS INTERIM_ROUNDS PARALLEL WARMUP_SESSIONS LOAD_MAX_S MIXED_N RADCLIENT_N; do
  [[ ${!v} =~ ^[0-9]+$ ]] || bench_die "$v must be a non-negative integer (got '${!v}')"
done
for t in $TARGETS; do
  case $t in gateway|freeradius-sql|node-pg|node-limit) ;; *) bench_die "unknown target '$t' in TARGETS";; esac
done
(( ACCT_SESSIONS > 2 * PARALLEL )) || bench_die "ACCT_SESSIONS must exceed 2 x PARALLEL so no two packets of a session are in flight together"

require_node24
require_debian_packages
prepare_peers "${PEERS_SRC:-$REPO/../shared/peers}"
# shellcheck disable=SC1091
source "$PEERS/lib/common.sh"
# shellcheck disable=SC1091
source "$PEERS/lib/pg-throwaway.sh"
# shellcheck source=lib/targets.sh
source "$here/lib/targets.sh"

OUT=${BENCH_OUT:-/tmp/rg-bench-accounting-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
RESULTS=$OUT/results.jsonl
: >"$RESULTS"
LOADER_TS=$here/acct-loader.ts

# Each measurement runs in a background subshell with its own traps (so `set -e` holds inside it
# and a failure there ends only that measurement); the main trap stops whichever one is running.
CHILD=
cleanup() {
  local rc=$?
  if [[ -n $CHILD ]] && kill -0 "$CHILD" 2>/dev/null; then
    kill -TERM "$CHILD" 2>/dev/null || true
    wait "$CHILD" 2>/dev/null || true
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# run_child CMD...: runs CMD in the background, waits, leaves its status in CHILD_RC. Never called
# in an if/||/&& context: bash would switch `set -e` off inside CMD as well.
CHILD_RC=0
run_child() {
  CHILD_RC=0
  "$@" &
  CHILD=$!
  wait "$CHILD" || CHILD_RC=$?
  CHILD=
}

json_str() { printf '"%s"' "$(sed 's/\\/\\\\/g; s/"/\\"/g' <<<"$1" | tr -d '\n')"; }

# load TAG PHASE SESSIONS ROUNDS PREFIX IP_BASE MSISDN_BASE: one acct-loader run against the target.
load() {
  local tag=$1 phase=$2 k=$3 r=$4 prefix=$5 ip=$6 msisdn=$7
  run_tracked "$WORK/$tag.json" node "$LOADER_TS" --port "$T_PORT" --secret "$SECRET" --phase "$phase" \
    --sessions "$k" --rounds "$r" --parallel "$PARALLEL" --max-seconds "$LOAD_MAX_S" \
    --sid-prefix "$prefix" --ip-base "$ip" --msisdn-base "$msisdn"
}

# CPU ticks the whole host spent busy (user, nice, system, irq, softirq, steal) since boot.
host_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat; }

metrics() { [[ $T_NAME == gateway ]] && curl -fsS --max-time 5 "http://127.0.0.1:$T_HTTP/metrics" >"$1" || : >"$1"; }

# measure TARGET ROUND: start, warm up, Starts phase, verify, Interim phase, verify, stop.
measure() (
  local target=$1 round=$2 phase rounds c0 c1 h0 h1 t0 t1 server
  WORK=$OUT/$target.r$round
  mkdir -p "$WORK"
  trap 'rc=$?; stop_pid "$TRACKED_PID" acct-loader; target_stop; exit $rc' EXIT
  trap 'exit 143' INT TERM
  log "round $round/$ROUNDS: $target"
  target_start "$target"
  # Warm-up on sessions of their own (other ids, addresses and numbers), left in place.
  load warmup-start start "$WARMUP_SESSIONS" 1 warm- 10.192.0.0 8613700000000 >/dev/null
  load warmup-interim interim "$WARMUP_SESSIONS" 1 warm- 10.192.0.0 8613700000000 >/dev/null
  for phase in start interim; do
    rounds=0
    [[ $phase == interim ]] && rounds=$INTERIM_ROUNDS
    metrics "$WORK/$phase.metrics0"
    c0=$(server_ticks) h0=$(host_ticks) t0=$(now_s)
    load "$phase" "$phase" "$ACCT_SESSIONS" "$((rounds > 0 ? rounds : 1))" gwb- 10.128.0.0 8613900000000
    t1=$(now_s) c1=$(server_ticks) h1=$(host_ticks)
    metrics "$WORK/$phase.metrics1"
    verify_sessions gwb- "$ACCT_SESSIONS" "$rounds" "$(sed -nE 's/.*"lost":([0-9]+).*/\1/p' "$WORK/$phase.json")"
    server=null
    [[ $target == gateway ]] && server=$(node "$here/report.ts" metrics-delta "$WORK/$phase.metrics0" "$WORK/$phase.metrics1")
    log "  $phase: $(cat "$WORK/$phase.json") verify: $V_DETAIL"
    printf '{"kind":"phase","target":"%s","round":%d,"phase":"%s","load":%s,"server_cpu_s":%s,"host_cpu_s":%s,"interval_s":%s,"verified":%d,"verify":%s,"server":%s}\n' \
      "$target" "$round" "$phase" "$(cat "$WORK/$phase.json")" "$(awk -v a="$c0" -v b="$c1" -v hz="$CLK_TCK" 'BEGIN {print (b - a) / hz}')" \
      "$(awk -v a="$h0" -v b="$h1" -v hz="$CLK_TCK" 'BEGIN {print (b - a) / hz}')" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" "$V_OK" "$(json_str "$V_DETAIL")" "$server" >>"$RESULTS"
  done
)

# mixed SCRIPT NAME LOADER N: one of the peers' run.sh (or ours) under the standard mixed load.
mixed() (
  local script=$1 name=$2 loader=$3 n=$4 rc=0 final load_line rate ok=1
  trap 'stop_pid "$TRACKED_PID" "$name"' EXIT
  trap 'exit 143' INT TERM
  log "mixed load: $name, LOADER=$loader, $n packets"
  LOADER=$loader run_tracked "$OUT/mixed.$name.$loader.log" timeout 240 "$script" "$n" "$PARALLEL" 2>&1 || rc=$?
  final=$(tail -1 "$OUT/mixed.$name.$loader.log")
  load_line=$(grep '^acct-load' "$OUT/mixed.$name.$loader.log" | tail -1 || true)
  rate=$(sed -nE 's/.*acct\/s=([0-9]+).*/\1/p' <<<"$final")
  (( rc == 0 )) || ok=0
  log "  $final (rc=$rc)"
  printf '{"kind":"mixed","target":"%s","loader":"%s","rate":%s,"ok":%d,"rc":%d,"line":%s,"loadgen_cpu":%s}\n' \
    "$name" "$loader" "${rate:-null}" "$ok" "$rc" "$(json_str "${load_line:-$final}")" \
    "$(json_str "$(sed -nE 's/.*loadgen_cpu=([0-9]+%).*/\1/p' <<<"$load_line")")" >>"$RESULTS"
)

fr_version=$( (freeradius -v 2>/dev/null || true) | sed -nE 's/.*Version ([0-9.]+).*/FreeRADIUS \1/p' | head -1)
commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -n $(git -C "$REPO" status --porcelain -- src migrations 2>/dev/null) ]] && commit="$commit+uncommitted"
started=$(date +%s)
failed=0
rounds_done=0
for ((round = 1; round <= ROUNDS; round++)); do
  elapsed=$(( $(date +%s) - started ))
  if (( round > 1 && elapsed + elapsed / (round - 1) > BUDGET_S )); then
    log "skipping rounds $round..$ROUNDS: another round would end past BUDGET_S=${BUDGET_S}s (${elapsed}s so far)"
    break
  fi
  rounds_done=$round
  for target in $TARGETS; do
    run_child measure "$target" "$round"
    if (( CHILD_RC != 0 )); then
      failed=1
      printf '{"kind":"error","target":"%s","round":%d,"message":%s}\n' "$target" "$round" \
        "$(json_str "measurement failed; logs in $OUT/$target.r$round")" >>"$RESULTS"
    fi
  done
done

mixed_row() {
  run_child mixed "$@"
  (( CHILD_RC == 0 )) || failed=1
}
if (( MIXED == 1 )); then
  mixed_row "$here/gateway/run.sh" gateway node "$MIXED_N"
  mixed_row "$PEERS/freeradius-sql/run.sh" freeradius-sql node "$MIXED_N"
  mixed_row "$PEERS/node-udp-limit-pg/run.sh" node-pg node "$MIXED_N"
  mixed_row "$PEERS/node-udp-limit/run.sh" node-limit node "$MIXED_N"
fi
if (( RADCLIENT_N > 0 )); then
  mixed_row "$here/gateway/run.sh" gateway radclient "$RADCLIENT_N"
  mixed_row "$PEERS/freeradius-sql/run.sh" freeradius-sql radclient "$RADCLIENT_N"
fi

printf '{"kind":"info","date":"%s","cores":%d,"node":"%s","postgres":"%s","freeradius":"%s","commit":"%s","sessions":%d,"interim_rounds":%d,"parallel":%d,"rounds":%d,"rounds_planned":%d,"load_max_s":%d}\n' \
  "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)" "$(node --version)" "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}')" \
  "${fr_version:-FreeRADIUS ?}" "$commit" "$ACCT_SESSIONS" "$INTERIM_ROUNDS" "$PARALLEL" "$rounds_done" "$ROUNDS" "$LOAD_MAX_S" >>"$RESULTS"

node "$here/report.ts" summary "$RESULTS" | tee "$OUT/summary.txt"
echo "took $(( $(date +%s) - started )) s; raw logs and results: $OUT"
if grep -q '"verified":0' "$RESULTS" || grep -q '"kind":"mixed".*"rc":3,' "$RESULTS"; then
  log "some acknowledged packets were not found stored: see above"
  exit 3
fi
(( failed == 0 )) && ! grep -q '"kind":"mixed".*"ok":0' "$RESULTS" || exit 1
exit 0
