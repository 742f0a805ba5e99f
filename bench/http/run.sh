#!/usr/bin/env bash
# HTTP benchmark: `npm run bench:http`. See bench/http/README.md.
#
# 1. Catch-all redirect: the gateway (`node src/main.ts`, server mode) next to the peers' nginx
#    `return 302`, raw node:http and bare Fastify 302 servers, all measured with
#    `wrk -t1 -c64 -d8s --latency -H 'Host: example.com' -H 'Accept: text/html'` in interleaved rounds
#    (the gateway only redirects a foreign Host, and answers 511 to clients that do not ask for HTML).
# 2. Portal: GET /portal for identified lines from SOURCES distinct loopback source addresses, with
#    SESSIONS sessions (and their lines) in a throwaway PostgreSQL 15 (fsync on), driven by
#    bench/http/http-load.ts over keep-alive; every response checked (200 + that line's masked
#    number). Next to the gateway's own /healthz and a bare Fastify server sending a copy of the page,
#    same load, interleaved rounds.
# Prints a summary table. Exit 0 when the run worked (targets met or not); 1 when something broke;
# 3 when a response was wrong.
#
# Env (defaults): ROUNDS (2) DURATION (8s) CONNS (64) WARMUP_S (2)      -- part 1
#   SESSIONS (1000000) SOURCES (10000) ALL_LINES (1) PORTAL_ROUNDS (2) PORTAL_SECONDS (10)
#   PORTAL_MAX_REQUESTS (100000) CONCURRENCY (64) CHECK_EVERY (1) ACCEPT_ENCODING ("")  -- part 2
#   PORTAL_BASELINES ("healthz static"; "" = /portal only, e.g. to profile it alone)
#   PARTS ("redirect portal") PROFILE (0; 1 = gateway under --cpu-prof, top functions printed)
#   PEERS_SRC (../shared/peers beside the clone) BENCH_OUT (/tmp/rg-bench-http-<time>) RG_CACHE_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$here/../.." && pwd)

ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-8s}
CONNS=${CONNS:-64}
WARMUP_S=${WARMUP_S:-2}
SESSIONS=${SESSIONS:-1000000}
SOURCES=${SOURCES:-10000}
ALL_LINES=${ALL_LINES:-1}
PORTAL_ROUNDS=${PORTAL_ROUNDS:-2}
PORTAL_SECONDS=${PORTAL_SECONDS:-10}
PORTAL_MAX_REQUESTS=${PORTAL_MAX_REQUESTS:-100000}
CONCURRENCY=${CONCURRENCY:-64}
CHECK_EVERY=${CHECK_EVERY:-1}
ACCEPT_ENCODING=${ACCEPT_ENCODING:-}
PARTS=${PARTS:-redirect portal}
PORTAL_BASELINES=${PORTAL_BASELINES-healthz static}
PROFILE=${PROFILE:-0}
RG_CACHE=${RG_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/recharge-gateway}
OUT=${BENCH_OUT:-/tmp/rg-bench-http-$(date +%Y%m%d-%H%M%S)}
PORTAL_URL=http://portal.invalid        # the gateway's own host; never resolved, never contacted
FOREIGN_HOST=example.com                # any Host that is not the portal's: the catch-all answers
PEER_LOCATION=http://portal.invalid/login

blog() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
bdie() { blog "ERROR: $*"; exit 1; }
for v in ROUNDS CONNS WARMUP_S SESSIONS SOURCES PORTAL_ROUNDS PORTAL_SECONDS PORTAL_MAX_REQUESTS CONCURRENCY CHECK_EVERY; do
  [[ ${!v} =~ ^[0-9]+$ ]] || bdie "$v must be a non-negative integer (got '${!v}')"
done
[[ $DURATION =~ ^[0-9]+[smh]?$ ]] || bdie "DURATION must look like 8s (got '$DURATION')"
(( SOURCES >= 1 && SESSIONS >= SOURCES )) || bdie "need SESSIONS >= SOURCES >= 1"
(( SESSIONS <= 16000000 )) || bdie "SESSIONS above 16,000,000 would leave 127.0.0.0/8"
(( SOURCES > CONCURRENCY )) || bdie "SOURCES must exceed CONCURRENCY"
for p in $PARTS; do [[ $p == redirect || $p == portal ]] || bdie "unknown part '$p' in PARTS"; done

# ---- prerequisites ------------------------------------------------------------------------------
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
(( major >= 24 )) || bdie "Node >= 24 needed (found '$(node --version 2>/dev/null || echo none)'); put Node 24 first on PATH"

debs=(curl postgresql-15)
if [[ " $PARTS " == *" redirect "* ]]; then debs+=(nginx wrk); fi
missing=()
for pkg in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if (( ${#missing[@]} > 0 )); then
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null && sudo -n true 2>/dev/null || bdie "missing Debian packages: ${missing[*]} (apt-get install -y ${missing[*]})"
    sudo=(sudo -n)
  fi
  blog "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
    || { "${sudo[@]}" apt-get update -qq >/dev/null 2>&1 || true
         "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || bdie "apt-get install ${missing[*]} failed"; }
fi

# The peers live beside the clone (read-only, no node_modules): run them from a copy in the cache,
# with `npm ci` redone only when their package-lock.json changes.
if [[ -n ${PEERS_SRC:-} ]]; then src=$PEERS_SRC
elif [[ -d $REPO/../shared/peers ]]; then src=$REPO/../shared/peers
else src=/work/shared/peers; fi
[[ -f $src/lib/common.sh && -f $src/lib/pg-throwaway.sh && -f $src/http/fastify.js ]] || bdie "peers not found at $src (set PEERS_SRC)"
PEERS=$RG_CACHE/peers-http/peers
mkdir -p "$PEERS"
for item in "$src"/*; do
  [[ $(basename "$item") == node_modules ]] && continue
  rm -rf "${PEERS:?}/$(basename "$item")"
  cp -R "$item" "$PEERS/"
done
chmod -R u+w "$PEERS"
want=$(sha256sum "$PEERS/package-lock.json" | cut -d' ' -f1)
stamp=$PEERS/node_modules/.bench-http-lock-sha256
if [[ ! -d $PEERS/node_modules/fastify || ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  blog "installing the peers' node modules in $PEERS (npm ci)"
  (cd "$PEERS" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || bdie "npm ci in $PEERS failed"
  echo "$want" >"$stamp"
fi
# shellcheck disable=SC1091
source "$PEERS/lib/common.sh"      # stop_pid, wait_port, port_busy, now_s, CLK_TCK
# shellcheck disable=SC1091
source "$PEERS/lib/pg-throwaway.sh"
set -euo pipefail

mkdir -p "$OUT"
RESULTS=$OUT/results.jsonl
: >"$RESULTS"
blog "results and logs in $OUT"

# ---- bookkeeping: everything started here is stopped on exit ------------------------------------
declare -A PIDS=()
PG_STARTED=
LOADER_PID=
cleanup() {
  local rc=$? name
  trap - EXIT INT TERM
  if [[ -n $LOADER_PID ]]; then kill -TERM "$LOADER_PID" 2>/dev/null || true; wait "$LOADER_PID" 2>/dev/null || true; fi
  for name in "${!PIDS[@]}"; do stop_pid "${PIDS[$name]}" "$name"; done
  if [[ -n $PG_STARTED ]]; then pg_throwaway_stop "$PG_STARTED" || true; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
set -E
trap 'blog "ERROR: line $LINENO failed (status $?): $BASH_COMMAND"' ERR

declare -A TAKEN=()
pick_port() {
  local p
  for ((p = ${1:-18600}; p < 18600 + 2000; p++)); do
    [[ -n ${TAKEN[$p]:-} ]] && continue
    port_busy tcp "$p" && continue
    [[ -e /tmp/.s.PGSQL.$p ]] && continue
    TAKEN[$p]=1
    echo "$p"
    return 0
  done
  bdie "no free TCP port in 18600-20599"
}
# Ports are chosen here, in the main shell (a $(...) subshell would not remember TAKEN).
pick() { local -n _var=$1; _var=$(pick_port) && TAKEN[$_var]=1; }

# User+system clock ticks of PID and its live descendants. One `cat` over /proc tolerates processes
# that end while it reads (an awk over /proc/*/stat stops at the first vanished file).
tree_ticks() {
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v root="$1" '
    { pid = $1; line = $0; sub(/^.*\) /, "", line); split(line, f, " "); ppid[pid] = f[2]; t[pid] = f[12] + f[13] }
    END { for (p in t) { q = p; for (h = 0; h < 64 && q != "" && q != root && q > 1; h++) q = ppid[q]; if (q == root) s += t[p] }
          print s + 0 }'
}
host_busy() { awk 'NR == 1 {print $2 + $3 + $4 + $7 + $8, $9}' /proc/stat; }   # busy, steal jiffies
# CPU seconds of this shell's reaped children (wrk runs in the foreground, so its share is the delta).
# `times` must run in this shell: a $(...) subshell has no children of its own.
children_cpu() { times >"$OUT/.times"; awk 'NR == 2 {gsub(/[ms]/, " "); print ($1 * 60 + $2) + ($3 * 60 + $4)}' "$OUT/.times"; }

# ---- throwaway PostgreSQL and the gateway (server mode) -----------------------------------------
pick PG_PORT_PICK
pg_throwaway_start "$PG_PORT_PICK" rg_http >/dev/null || bdie "throwaway PostgreSQL did not start"
PG_STARTED=$PG_URL
blog "PostgreSQL $(pg_psql -c 'show server_version') on $PG_DIR (port $PG_PORT, fsync=$(pg_psql -c 'show fsync'), synchronous_commit=$(pg_psql -c 'show synchronous_commit'))"
(cd "$REPO" && DATABASE_URL=$PG_URL LOG_LEVEL=warn node src/cli.ts migrate) >"$OUT/migrate.log" 2>&1 || { cat "$OUT/migrate.log" >&2; bdie "migrate failed"; }

pick GW_PORT
mkdir -p "$OUT/prof"
# The flags `npm start` uses (package.json), then the profiler's when asked.
read -r -a gw_flags <<<"$(cd "$REPO" && node bench/lib/gateway-node-flags.ts)"
if [[ $PROFILE == 1 ]]; then gw_flags+=(--cpu-prof --cpu-prof-dir="$OUT/prof"); fi
# Load shedding off: this measures capacity (bench:overload measures the shedding).
(cd "$REPO" && PORT=$GW_PORT HOST=127.0.0.1 RADIUS_ACCT_PORT=0 RADIUS_HOST=127.0.0.1 DATABASE_URL=$PG_URL LOG_LEVEL=warn \
  LOAD_SHED_MAX_IN_FLIGHT=0 LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS=0 LOAD_SHED_MAX_EVENT_LOOP_UTILIZATION=0 \
  PORTAL_URL=$PORTAL_URL exec node "${gw_flags[@]}" src/main.ts) >"$OUT/gateway.log" 2>&1 &
PIDS[gateway]=$!
for ((i = 0; i < 300; i++)); do
  [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$GW_PORT/readyz" || true) == 200 ]] && break
  kill -0 "${PIDS[gateway]}" 2>/dev/null || { cat "$OUT/gateway.log" >&2; bdie "the gateway exited during start-up"; }
  sleep 0.1
done
(( i < 300 )) || { cat "$OUT/gateway.log" >&2; bdie "the gateway did not become ready in 30 s"; }
blog "gateway ready on 127.0.0.1:$GW_PORT (pid ${PIDS[gateway]}, server mode, PORTAL_URL=$PORTAL_URL)"

# ---- part 1: catch-all redirect -----------------------------------------------------------------
# wrk output -> "req/s p99_ms socket_errors non_3xx"
parse_wrk() {
  awk '
    function ms(v,   n, u) { n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
      return u == "us" ? n / 1000 : u == "s" ? n * 1000 : u == "m" ? n * 60000 : n }
    /^Requests\/sec:/ { rps = $2 }
    $1 == "99%" { p99 = ms($2) }
    /Socket errors:/ { gsub(/[^0-9 ]/, " "); split($0, a, " "); for (k in a) serr += a[k] }
    /Non-2xx or 3xx responses:/ { bad = $NF }
    END { printf "%.0f %.3f %d %d\n", rps, p99, serr, bad }'
}

run_redirect() {
  local -A port=() label=()
  local order=(nginx node-raw fastify gateway gateway-fresh) s r got
  label=([nginx]="nginx return 302 (1 worker)" [node-raw]="raw node:http 302" [fastify]="bare Fastify 302" [gateway]="gateway catch-all 302"
    [gateway-fresh]="gateway, every URL new")
  # gateway-fresh: the same gateway, each request for a path never asked before (fresh-path.lua), so
  # none of it is answered from what the catch-all remembers of an address but the token.
  local -A script=([gateway-fresh]="-s $here/fresh-path.lua")
  pick "port[nginx]"; pick "port[node-raw]"; pick "port[fastify]"
  port[gateway]=$GW_PORT; port[gateway-fresh]=$GW_PORT; PIDS[gateway-fresh]=${PIDS[gateway]}
  mkdir -p "$OUT/nginx"
  sed -e "s|@PORT@|${port[nginx]}|g" -e "s|@PREFIX@|$OUT/nginx|g" -e "s|@LOCATION@|$PEER_LOCATION|g" \
    "$PEERS/http/nginx.conf.in" >"$OUT/nginx/nginx.conf"
  nginx -t -p "$OUT/nginx" -c "$OUT/nginx/nginx.conf" >"$OUT/nginx/test.log" 2>&1 || { cat "$OUT/nginx/test.log" >&2; bdie "nginx config test failed"; }
  nginx -p "$OUT/nginx" -c "$OUT/nginx/nginx.conf" >"$OUT/nginx/stdout.log" 2>&1 &
  PIDS[nginx]=$!
  node "$PEERS/http/node-raw.js" "${port[node-raw]}" "$PEER_LOCATION" 2>"$OUT/node-raw.log" &
  PIDS[node-raw]=$!
  NODE_PATH=$PEERS/node_modules node "$PEERS/http/fastify.js" "${port[fastify]}" "$PEER_LOCATION" 2>"$OUT/fastify.log" &
  PIDS[fastify]=$!
  for s in nginx node-raw fastify; do wait_port tcp "${port[$s]}" "${PIDS[$s]}" 20; done

  # Every server must answer this exact request with a real 302 (wrk alone counts any 3xx as fine).
  for s in nginx node-raw fastify gateway; do
    got=$(curl -s -o /dev/null -D "$OUT/redirect-$s.headers" -H "Host: $FOREIGN_HOST" -H 'Accept: text/html' \
      -w '%{http_code} %{redirect_url}' "http://127.0.0.1:${port[$s]}/")
    if [[ $s == gateway ]]; then
      [[ $got =~ ^302\ ${PORTAL_URL//./\\.}/portal\?continue=.+\&sig=.+\&rt=.+ ]] \
        || bdie "gateway answered '$got', expected 302 to $PORTAL_URL/portal?continue=…&sig=…&rt=…"
    else
      [[ $got == "302 $PEER_LOCATION" ]] || bdie "$s answered '$got', expected '302 $PEER_LOCATION'"
    fi
    blog "verified $s: $got"
  done
  blog "warming up ${WARMUP_S}s each; then $ROUNDS interleaved round(s) of wrk -t1 -c$CONNS -d$DURATION"
  for s in "${order[@]}"; do
    # shellcheck disable=SC2086
    wrk -t1 -c"$CONNS" -d"${WARMUP_S}s" ${script[$s]:-} -H "Host: $FOREIGN_HOST" -H 'Accept: text/html' "http://127.0.0.1:${port[$s]}/" >/dev/null
  done
  local c0 c1 t0 t1 h0 h1 w0 w1 rps p99 serr bad cpu wcpu hcpu steal
  for ((r = 1; r <= ROUNDS; r++)); do
    for s in "${order[@]}"; do
      c0=$(tree_ticks "${PIDS[$s]}"); read -r h0 st0 < <(host_busy); children_cpu >"$OUT/.w0"; t0=$(now_s)
      # shellcheck disable=SC2086
      wrk -t1 -c"$CONNS" -d"$DURATION" --latency ${script[$s]:-} -H "Host: $FOREIGN_HOST" -H 'Accept: text/html' \
        "http://127.0.0.1:${port[$s]}/" >"$OUT/wrk.$s.$r.txt" 2>&1
      t1=$(now_s); children_cpu >"$OUT/.w1"; w0=$(cat "$OUT/.w0"); w1=$(cat "$OUT/.w1"); read -r h1 st1 < <(host_busy); c1=$(tree_ticks "${PIDS[$s]}")
      read -r rps p99 serr bad < <(parse_wrk <"$OUT/wrk.$s.$r.txt")
      read -r cpu wcpu hcpu steal < <(awk -v a="$c0" -v b="$c1" -v w0="$w0" -v w1="$w1" -v h0="$h0" -v h1="$h1" \
        -v s0="$st0" -v s1="$st1" -v t0="$t0" -v t1="$t1" -v hz="$CLK_TCK" \
        'BEGIN { t = t1 - t0; printf "%d %d %d %d\n", 100 * (b - a) / hz / t, 100 * (w1 - w0) / t, 100 * (h1 - h0) / hz / t, 100 * (s1 - s0) / hz / t }')
      printf '{"part":"redirect","name":"%s","label":"%s","round":%d,"rps":%s,"p99_ms":%s,"server_cpu":%s,"loadgen_cpu":%s,"host_cpu":%s,"steal_cpu":%s,"socket_errors":%s,"non_3xx":%s}\n' \
        "$s" "${label[$s]}" "$r" "$rps" "$p99" "$cpu" "$wcpu" "$hcpu" "$steal" "$serr" "$bad" >>"$RESULTS"
      blog "round $r $s: req/s=$rps p99_ms=$p99 server_cpu=${cpu}% wrk_cpu=${wcpu}% host_cpu=${hcpu}% socket_errors=$serr non_3xx=$bad"
      (( serr == 0 && bad == 0 )) || bdie "$s: wrk saw $serr socket errors and $bad non-3xx answers ($OUT/wrk.$s.$r.txt)"
    done
  done
  for s in nginx node-raw fastify; do stop_pid "${PIDS[$s]}" "$s"; unset "PIDS[$s]"; done
}

# ---- part 2: portal -----------------------------------------------------------------------------
run_loader() {   # run_loader NAME ROUND args... -> appends the JSON line; fails on errors/mismatches
  local name=$1 r=$2 rc=0
  shift 2
  node "$here/http-load.ts" --name "$name" --round "$r" --concurrency "$CONCURRENCY" --max-seconds "$PORTAL_SECONDS" \
    --max-requests "$PORTAL_MAX_REQUESTS" --check-every "$CHECK_EVERY" --clk-tck "$CLK_TCK" \
    ${ACCEPT_ENCODING:+--accept-encoding "$ACCEPT_ENCODING"} "$@" >"$OUT/load.$name.$r.json" 2>"$OUT/load.$name.$r.err" &
  LOADER_PID=$!
  wait "$LOADER_PID" || rc=$?
  LOADER_PID=
  cat "$OUT/load.$name.$r.json" >>"$RESULTS"
  blog "round $r $name: $(node -e '
    const o = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))
    console.log(`req/s=${o.rps} p50_ms=${o.p50_ms} p99_ms=${o.p99_ms} requests=${o.requests} checked=${o.checked} mismatches=${o.mismatches} errors=${o.errors} cpu=${JSON.stringify(o.server_cpu)} loadgen=${o.loadgen_cpu}% host=${o.host_cpu}% warm-up(1/source, with connect)=${o.warmup.rps}/s`)
    if (o.examples.length) console.log("  e.g. " + o.examples.join("\n  e.g. "))' "$OUT/load.$name.$r.json" 2>/dev/null || cat "$OUT/load.$name.$r.err")"
  case $rc in
    0) ;;
    3) blog "ERROR: $name round $r: wrong responses (see $OUT/load.$name.$r.json)"; exit 3 ;;
    *) cat "$OUT/load.$name.$r.err" >&2; bdie "$name round $r: load generator failed (exit $rc)" ;;
  esac
}

run_portal() {
  local step=$(( SESSIONS / SOURCES )) offset t0 all=false mask ip code st_port
  offset=$(( step > 37 ? 37 : step - 1 ))
  if [[ $ALL_LINES == 1 ]]; then all=true; fi
  blog "seeding $SESSIONS sessions ($([[ $all == true ]] && echo "and $SESSIONS lines" || echo "and the $SOURCES sampled lines"))"
  t0=$(now_s)
  pg_psql -v sessions="$SESSIONS" -v step="$step" -v offset="$offset" -v all_lines="$all" -f - <"$here/seed.sql" >"$OUT/seed.log" 2>&1 \
    || { cat "$OUT/seed.log" >&2; bdie "seeding failed"; }
  blog "inserted in $(awk -v a="$t0" -v b="$(now_s)" 'BEGIN {printf "%.1f", b - a}') s; VACUUM ANALYZE, CHECKPOINT"
  pg_psql -c 'vacuum analyze nas_clients' -c 'vacuum analyze radius_sessions' -c 'vacuum analyze lines' -c 'checkpoint' >>"$OUT/seed.log" 2>&1
  # From here on, statements slower than 20 ms are logged (to see what the database did under load).
  pg_psql -c "alter system set log_min_duration_statement = '20ms'" -c 'select pg_reload_conf()' >/dev/null
  pg_psql -c "select 'sessions=' || (select count(*) from radius_sessions where stopped_at is null) || ' lines=' || (select count(*) from lines)
      || ' db_size=' || pg_size_pretty(pg_database_size(current_database()))" | while read -r l; do blog "database: $l"; done

  # The sampled subscribers: source address and the masked number their page must show.
  pg_psql -c "select host(framed_ip) || ' ' || substr(msisdn, 3, 3) || '****' || right(msisdn, 4)
      from radius_sessions where (substr(acct_session_id, 4)::int) % $step = $offset order by id limit $SOURCES" >"$OUT/sources.txt"
  (( $(wc -l <"$OUT/sources.txt") == SOURCES )) || bdie "expected $SOURCES sampled sources, got $(wc -l <"$OUT/sources.txt")"
  blog "$SOURCES sources, $(cut -d' ' -f2 "$OUT/sources.txt" | sort -u | wc -l) distinct masked numbers, e.g. $(sed -n 2p "$OUT/sources.txt")"

  # One real page, from one sampled source, checked by hand first; it is also the static baseline's page.
  read -r ip mask < <(sed -n 2p "$OUT/sources.txt")
  code=$(curl -s --interface "$ip" -H "Host: 127.0.0.1:$GW_PORT" -H 'Accept: text/html' -o "$OUT/portal-page.html" \
    -w '%{http_code}' "http://127.0.0.1:$GW_PORT/portal")
  [[ $code == 200 ]] && grep -qF "$mask" "$OUT/portal-page.html" \
    || bdie "GET /portal from $ip answered $code without $mask ($OUT/portal-page.html)"
  local gz
  gz=$(curl -s --interface "$ip" -H "Host: 127.0.0.1:$GW_PORT" -H 'Accept-Encoding: gzip' -o /dev/null -w '%{size_download}' "http://127.0.0.1:$GW_PORT/portal")
  blog "verified GET /portal from $ip: 200, shows $mask, $(wc -c <"$OUT/portal-page.html") B ($gz B gzip)"
  echo "{\"part\":\"page\",\"bytes\":$(wc -c <"$OUT/portal-page.html"),\"gzip_bytes\":$gz}" >>"$RESULTS"

  pick st_port
  node "$here/static-page-server.ts" "$st_port" "$OUT/portal-page.html" 2>"$OUT/static.log" &
  PIDS[static]=$!
  wait_port tcp "$st_port" "${PIDS[static]}" 20

  local gw_cpu="gateway=${PIDS[gateway]},postgres=$PG_PID"
  for ((r = 1; r <= PORTAL_ROUNDS; r++)); do
    run_loader portal "$r" --port "$GW_PORT" --path /portal --sources "$OUT/sources.txt" --cpu "$gw_cpu"
    if [[ " $PORTAL_BASELINES " == *" healthz "* ]]; then
      run_loader healthz "$r" --port "$GW_PORT" --path /healthz --sources "$OUT/sources.txt" --expect '"status":"ok"' --cpu "$gw_cpu"
    fi
    if [[ " $PORTAL_BASELINES " == *" static "* ]]; then
      run_loader static "$r" --port "$st_port" --path /portal --sources "$OUT/sources.txt" --expect "$mask" --cpu "fastify=${PIDS[static]}"
    fi
  done
  stop_pid "${PIDS[static]}" static; unset "PIDS[static]"

  # What the database found slow during the load (statements over 20 ms).
  grep -E 'duration: [0-9.]+ ms' "$PG_DIR/server.log" >"$OUT/pg-slow.log" 2>/dev/null || true
  echo "{\"part\":\"pg_slow\",\"count\":$(wc -l <"$OUT/pg-slow.log")}" >>"$RESULTS"
}

started=$(now_s)
if [[ " $PARTS " == *" redirect "* ]]; then run_redirect; fi
if [[ " $PARTS " == *" portal "* ]]; then run_portal; fi

stop_pid "${PIDS[gateway]}" gateway; unset "PIDS[gateway]"
node "$here/report.ts" "$RESULTS" "$OUT" | tee "$OUT/summary.txt"
if [[ $PROFILE == 1 ]]; then
  prof=$(ls -t "$OUT"/prof/*.cpuprofile 2>/dev/null | head -1 || true)
  if [[ -n $prof ]]; then node "$here/cpu-profile-top.ts" "$prof" | tee -a "$OUT/summary.txt"; else blog "no CPU profile was written"; fi
fi
blog "done in $(awk -v a="$started" -v b="$(now_s)" 'BEGIN {printf "%.0f", b - a}') s; logs in $OUT"
