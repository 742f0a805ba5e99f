# shellcheck shell=bash
# The servers under test, one at a time, each with its own throwaway PostgreSQL where it stores:
#   gateway         our gateway in server mode (src/main.ts), radius_sessions
#   freeradius-sql  FreeRADIUS 3.2 + rlm_sql_postgresql, the peers' config, stock radacct schema
#   node-pg         the peers' Node + PG batched upsert (node-udp-limit-pg/server.js), radacct
#   node-limit      the peers' decode + reply server (node-udp-limit/server.js), stores nothing
# Needs: $PEERS (prepared copy of the peers), $REPO, $WORK; the peers' lib/common.sh and
# lib/pg-throwaway.sh sourced. target_start NAME sets T_NAME, T_PID, T_PORT (udp), T_HTTP (gateway)
# and, when a database is used, PG_* (pg-throwaway.sh); target_stop stops all of it.

SECRET=testing123
FR_THREADS=${FR_THREADS:-16}
STOCK_SQL=/etc/freeradius/3.0/mods-config/sql/main/postgresql
T_NAME= T_PID= T_PORT= T_HTTP=

# pick_port tcp|udp FROM: the first port >= FROM that nothing on this host listens on.
pick_port() {
  local proto=$1 p=$2
  while port_busy "$proto" "$p" || [[ -e /tmp/.s.PGSQL.$p ]]; do p=$((p + 1)); done
  echo "$p"
}

target_start() {
  T_NAME=$1 T_PID= T_PORT= T_HTTP=
  case $T_NAME in
    node-limit) ;;
    *) pg_throwaway_start "$(pick_port tcp "${BENCH_PG_PORT:-55540}")" bench >/dev/null ;;
  esac
  T_PORT=$(pick_port udp "${BENCH_UDP_PORT:-18240}")
  case $T_NAME in
    gateway) start_gateway ;;
    freeradius-sql) start_freeradius ;;
    node-pg) start_node_pg ;;
    node-limit) start_node_limit ;;
    *) bench_die "unknown target $T_NAME" ;;
  esac
}

target_stop() {
  stop_pid "$T_PID" "$T_NAME"
  T_PID=
  pg_throwaway_stop "${PG_DIR:-}" || true
  PG_DIR=
}

start_gateway() {
  (cd "$REPO" && DATABASE_URL=$PG_URL node src/cli.ts migrate) >"$WORK/gateway-migrate.log" 2>&1 \
    || { cat "$WORK/gateway-migrate.log" >&2; bench_die "gateway: migrate failed"; }
  # Before the gateway starts: it reads its NAS list at start-up, then every few seconds.
  pg_psql -c "insert into nas_clients (name, address, secret, realm, require_message_authenticator)
              values ('bench', '127.0.0.0/8', '$SECRET', 'default', false)" >/dev/null
  T_HTTP=$(pick_port tcp "${BENCH_HTTP_PORT:-18280}")
  local flags   # the node flags `npm start` uses (package.json)
  read -r -a flags <<<"$(cd "$REPO" && node bench/lib/gateway-node-flags.ts)"
  (cd "$REPO" && exec env DATABASE_URL="$PG_URL" PORT="$T_HTTP" HOST=127.0.0.1 RADIUS_ACCT_PORT="$T_PORT" \
    LOG_LEVEL=warn node "${flags[@]}" src/main.ts) >"$WORK/gateway.log" 2>&1 </dev/null &
  T_PID=$!
  local i
  for ((i = 0; i < 600; i++)); do
    kill -0 "$T_PID" 2>/dev/null || { tail -20 "$WORK/gateway.log" >&2; bench_die "gateway exited during start-up"; }
    if curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$T_HTTP/readyz" 2>/dev/null && port_busy udp "$T_PORT"; then
      return 0
    fi
    sleep 0.05
  done
  port_busy udp "$T_PORT" || bench_die "gateway answers /readyz but nothing listens on udp/$T_PORT: is the accounting server wired into src/main.ts?"
  tail -20 "$WORK/gateway.log" >&2
  bench_die "gateway did not become ready within 30 s"
}

start_freeradius() {
  local fr conf=$WORK/freeradius
  fr=$(command -v freeradius || command -v radiusd) || bench_die "freeradius not found"
  [[ -f /usr/lib/freeradius/rlm_sql_postgresql.so ]] || bench_die "rlm_sql_postgresql missing (freeradius-postgresql)"
  pg_psql <"$STOCK_SQL/schema.sql" >/dev/null
  rm -rf "$conf" && mkdir -p "$conf/run"
  sed -e "s|@CONFDIR@|$conf|g" -e "s|@RUNDIR@|$conf/run|g" -e "s|@THREADS@|$FR_THREADS|g" \
    -e "s|@PORT@|$T_PORT|g" -e "s|@SECRET@|$SECRET|g" -e "s|@PGHOST@|$PG_HOST|g" \
    -e "s|@PGPORT@|$PG_PORT|g" -e "s|@PGDB@|$PG_DB|g" -e "s|@QUERIES@|$STOCK_SQL/queries.conf|g" \
    "$PEERS/freeradius-sql/raddb/radiusd.conf.in" >"$conf/radiusd.conf"
  chmod -R go-w "$conf"
  "$fr" -C -d "$conf" -n radiusd >"$conf/check.log" 2>&1 \
    || { cat "$conf/check.log" >&2; bench_die "freeradius config check failed"; }
  "$fr" -f -d "$conf" -n radiusd >"$conf/run/stdout.log" 2>&1 </dev/null &
  T_PID=$!
  wait_port udp "$T_PORT" "$T_PID" 30
}

start_node_pg() {
  pg_psql <"$STOCK_SQL/schema.sql" >/dev/null
  NODE_PATH=$PEERS/node_modules node "$PEERS/node-udp-limit-pg/server.js" "$T_PORT" "$SECRET" "$PG_URL" \
    >"$WORK/node-pg.json" 2>"$WORK/node-pg.err" </dev/null &
  T_PID=$!
  wait_port udp "$T_PORT" "$T_PID" 30
}

start_node_limit() {
  NODE_PATH=$PEERS/node_modules node "$PEERS/node-udp-limit/server.js" "$T_PORT" "$SECRET" \
    >"$WORK/node-limit.json" 2>"$WORK/node-limit.err" </dev/null &
  T_PID=$!
  wait_port udp "$T_PORT" "$T_PID" 15
}

# server_ticks: CPU clock ticks burned so far by the server (all its threads) and by PostgreSQL
# (the postmaster, its live children, and the children it already reaped). A process that exits
# between listing and reading is skipped; it is a backend or worker, a few ticks at most.
server_ticks() {
  local pids=("$T_PID")
  if [[ -n ${PG_DIR:-} ]]; then
    pids+=("$PG_PID")
    mapfile -t -O "${#pids[@]}" pids < <(ps -o pid= --ppid "$PG_PID" 2>/dev/null | tr -d ' ')
  fi
  local p
  for p in "${pids[@]}"; do cat "/proc/$p/stat" 2>/dev/null || true; done |
    awk '{ sub(/^.*\) /, ""); t += $12 + $13 + $14 + $15 } END { print t + 0 }'
}

# verify_sessions PREFIX SESSIONS ROUNDS LOST: checks the stored state of the sessions whose
# Acct-Session-Id starts with PREFIX after their Starts (ROUNDS=0) or ROUNDS interim rounds, LOST
# being how many requests of that load went unanswered. Sets V_DETAIL and V_OK: 1 everything sent is
# stored; 0 something acknowledged is missing; 2 inconclusive (requests went unanswered, and then
# only "rows >= answered Starts" can be checked).
verify_sessions() {
  local prefix=$1 k=$2 rounds=$3 lost=$4 rows ips msisdns active sumt want
  V_OK=1 V_DETAIL=
  case $T_NAME in
    node-limit) V_DETAIL="stores nothing"; return 0 ;;
    gateway)
      # One row per session, each with its own address and number, none stopped or superseded.
      # Unchanged interims write nothing by design (see bench/README.md), so the check is the mapping.
      IFS='|' read -r rows ips msisdns active < <(pg_psql -c "
        select count(*), count(distinct framed_ip), count(distinct msisdn), count(*) filter (where stopped_at is null)
        from radius_sessions where acct_session_id like '$prefix%'")
      V_DETAIL="rows=$rows/$k distinct_ip=$ips distinct_msisdn=$msisdns active=$active"
      [[ $ips == "$rows" && $msisdns == "$rows" && $active == "$rows" ]] || V_OK=0
      ;;
    *)
      # radacct: counters are cumulative and round r carries Acct-Session-Time 60·r, so every row
      # at its last round means every interim was applied.
      want=$((k * rounds * 60))
      IFS='|' read -r rows ips msisdns sumt < <(pg_psql -c "
        select count(*), count(distinct framedipaddress), count(distinct callingstationid), coalesce(sum(acctsessiontime), 0)
        from radacct where acctsessionid like '$prefix%'")
      V_DETAIL="rows=$rows/$k distinct_ip=$ips distinct_msisdn=$msisdns sum_session_time=$sumt/$want"
      [[ $ips == "$rows" && $msisdns == "$rows" ]] || V_OK=0
      (( lost == 0 && sumt != want )) && V_OK=0
      ;;
  esac
  if (( lost == 0 )); then
    [[ $rows == "$k" ]] || V_OK=0
  elif (( V_OK == 1 )); then
    # Each answered Start is a distinct session: at least that many rows must exist.
    (( rounds > 0 || rows >= k - lost )) && V_OK=2 || V_OK=0
  fi
  (( lost == 0 )) || V_DETAIL="$V_DETAIL (lost=$lost: incomplete)"
}
