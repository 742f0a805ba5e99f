// One function applies a whole batch of accounting session writes in a single statement: the
// group commit then costs one round trip (and one WAL flush) per batch instead of one per
// statement plus BEGIN/COMMIT. Same semantics as the statements it replaces: a new session
// supersedes older active ones on its address, the upsert never lets older state overwrite newer,
// and a late record of an older session gives its address back to the newer holder.
// Frozen in time: this file never imports from src/.
import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  // Equality lookups for superseding IPv6 sessions (the GiST indexes serve containment lookups).
  await sql`create index radius_sessions_active_ipv6_eq on radius_sessions (realm, framed_ipv6_prefix) where stopped_at is null and framed_ipv6_prefix is not null`.execute(db)
  await sql`create index radius_sessions_active_delegated_eq on radius_sessions (realm, delegated_ipv6_prefix) where stopped_at is null and delegated_ipv6_prefix is not null`.execute(db)
  await sql`
    create function apply_session_writes(
      p_nas int[], p_realm text[], p_id text[], p_msisdn text[], p_imsi text[], p_v4 inet[], p_v6 cidr[], p_pd cidr[],
      p_started timestamptz[], p_seen timestamptz[], p_stopped timestamptz[], p_reason text[])
    returns table (changed_nas_id int, changed_acct_session_id text)
    language plpgsql
    -- Plan each statement for the batch at hand. A plan cached while the table was small (a
    -- fresh database warming up) joins by scanning every session and stays cached as it grows.
    set plan_cache_mode = force_custom_plan
    as $fn$
    begin
      -- One statement per kind of address, each only when the batch has such addresses: an index
      -- lookup, never a scan of every session (a join on an all-null column would plan as one).
      if array_length(array_remove(p_v4, null), 1) > 0 then
        update radius_sessions s set stopped_at = v.started, stop_reason = 'superseded'
        from unnest(p_nas, p_realm, p_id, p_v4, p_started, p_stopped) as v(v_nas, v_realm, v_id, v_address, started, stopped)
        where v.v_address is not null and v.stopped is null and s.stopped_at is null and s.realm = v.v_realm
          and s.framed_ip = v.v_address and s.started_at <= v.started and not (s.nas_id = v.v_nas and s.acct_session_id = v.v_id);
      end if;
      if array_length(array_remove(p_v6, null), 1) > 0 then
        update radius_sessions s set stopped_at = v.started, stop_reason = 'superseded'
        from unnest(p_nas, p_realm, p_id, p_v6, p_started, p_stopped) as v(v_nas, v_realm, v_id, v_address, started, stopped)
        where v.v_address is not null and v.stopped is null and s.stopped_at is null and s.realm = v.v_realm
          and s.framed_ipv6_prefix = v.v_address and s.started_at <= v.started and not (s.nas_id = v.v_nas and s.acct_session_id = v.v_id);
      end if;
      if array_length(array_remove(p_pd, null), 1) > 0 then
        update radius_sessions s set stopped_at = v.started, stop_reason = 'superseded'
        from unnest(p_nas, p_realm, p_id, p_pd, p_started, p_stopped) as v(v_nas, v_realm, v_id, v_address, started, stopped)
        where v.v_address is not null and v.stopped is null and s.stopped_at is null and s.realm = v.v_realm
          and s.delegated_ipv6_prefix = v.v_address and s.started_at <= v.started and not (s.nas_id = v.v_nas and s.acct_session_id = v.v_id);
      end if;

      return query
      insert into radius_sessions as s (nas_id, realm, acct_session_id, msisdn, imsi, framed_ip, framed_ipv6_prefix,
        delegated_ipv6_prefix, started_at, last_seen_at, stopped_at, stop_reason)
      select * from unnest(p_nas, p_realm, p_id, p_msisdn, p_imsi, p_v4, p_v6, p_pd, p_started, p_seen, p_stopped, p_reason)
      on conflict (nas_id, acct_session_id) do update set
        realm = case when excluded.last_seen_at >= s.last_seen_at then excluded.realm else s.realm end,
        msisdn = case when excluded.last_seen_at >= s.last_seen_at then coalesce(excluded.msisdn, s.msisdn) else s.msisdn end,
        imsi = case when excluded.last_seen_at >= s.last_seen_at then coalesce(excluded.imsi, s.imsi) else s.imsi end,
        framed_ip = case when excluded.last_seen_at >= s.last_seen_at then coalesce(excluded.framed_ip, s.framed_ip) else s.framed_ip end,
        framed_ipv6_prefix = case when excluded.last_seen_at >= s.last_seen_at
          then coalesce(excluded.framed_ipv6_prefix, s.framed_ipv6_prefix) else s.framed_ipv6_prefix end,
        delegated_ipv6_prefix = case when excluded.last_seen_at >= s.last_seen_at
          then coalesce(excluded.delegated_ipv6_prefix, s.delegated_ipv6_prefix) else s.delegated_ipv6_prefix end,
        started_at = least(s.started_at, excluded.started_at),
        last_seen_at = greatest(s.last_seen_at, excluded.last_seen_at),
        stopped_at = coalesce(s.stopped_at, excluded.stopped_at),
        stop_reason = coalesce(s.stop_reason, excluded.stop_reason)
      where excluded.last_seen_at > s.last_seen_at or (excluded.stopped_at is not null and s.stopped_at is null)
      returning s.nas_id, s.acct_session_id;

      -- A late record of an older session must not take an address back from a newer holder.
      if array_length(array_remove(p_v4, null), 1) > 0 then
        update radius_sessions s set stopped_at = n.started_at, stop_reason = 'superseded'
        from unnest(p_nas, p_id, p_v4) as v(v_nas, v_id, v_address), radius_sessions n
        where v.v_address is not null and s.nas_id = v.v_nas and s.acct_session_id = v.v_id and s.stopped_at is null
          and n.stopped_at is null and n.realm = s.realm and n.framed_ip = s.framed_ip and n.id <> s.id and n.started_at > s.started_at;
      end if;
      if array_length(array_remove(p_v6, null), 1) > 0 then
        update radius_sessions s set stopped_at = n.started_at, stop_reason = 'superseded'
        from unnest(p_nas, p_id, p_v6) as v(v_nas, v_id, v_address), radius_sessions n
        where v.v_address is not null and s.nas_id = v.v_nas and s.acct_session_id = v.v_id and s.stopped_at is null
          and n.stopped_at is null and n.realm = s.realm and n.framed_ipv6_prefix = s.framed_ipv6_prefix and n.id <> s.id and n.started_at > s.started_at;
      end if;
      if array_length(array_remove(p_pd, null), 1) > 0 then
        update radius_sessions s set stopped_at = n.started_at, stop_reason = 'superseded'
        from unnest(p_nas, p_id, p_pd) as v(v_nas, v_id, v_address), radius_sessions n
        where v.v_address is not null and s.nas_id = v.v_nas and s.acct_session_id = v.v_id and s.stopped_at is null
          and n.stopped_at is null and n.realm = s.realm and n.delegated_ipv6_prefix = s.delegated_ipv6_prefix and n.id <> s.id and n.started_at > s.started_at;
      end if;
    end
    $fn$`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists radius_sessions_active_ipv6_eq`.execute(db)
  await sql`drop index if exists radius_sessions_active_delegated_eq`.execute(db)
  await sql`drop function if exists apply_session_writes(int[], text[], text[], text[], text[], inet[], cidr[], cidr[], timestamptz[], timestamptz[], timestamptz[], text[])`.execute(db)
}
