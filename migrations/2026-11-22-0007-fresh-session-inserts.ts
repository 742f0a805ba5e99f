// A batch of accounting writes mostly names sessions not stored yet (Starts) on addresses nobody
// holds. apply_session_writes now inserts those in one plain statement and checks their addresses
// with one probe per row, and hands only the rest (stored sessions: Stops, changed Interims,
// re-sent Starts) and any fresh session whose address is held to the 0004 function, kept under
// the name apply_session_writes_0004. The 0004 function's "late record" join was planned per
// call against statistics that lag a growing table, and then scanned every active session once
// per row of the batch; the probes here are lookups by (realm, address) from a parameter.
// Frozen in time: this file never imports from src/.
import { type Kysely, sql } from 'kysely'

const ARGS = 'int[], text[], text[], text[], text[], inet[], cidr[], cidr[], timestamptz[], timestamptz[], timestamptz[], text[]'

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`alter function apply_session_writes(${ARGS}) rename to apply_session_writes_0004`).execute(db)
  await sql`
    create function apply_session_writes(
      p_nas int[], p_realm text[], p_id text[], p_msisdn text[], p_imsi text[], p_v4 inet[], p_v6 cidr[], p_pd cidr[],
      p_started timestamptz[], p_seen timestamptz[], p_stopped timestamptz[], p_reason text[])
    returns table (changed_nas_id int, changed_acct_session_id text)
    language plpgsql
    -- Every statement here is driven by the batch (a key or an address per row): an index probe
    -- per row is always the right plan, whatever the statistics of a growing table suggest.
    set enable_seqscan = off
    as $fn$
    declare
      fresh int[];   -- positions (in the arrays) of the rows this call inserted
      held int[];    -- of those, the ones whose address an active session already holds
      rest int[];    -- positions left to the 0004 function
    begin
      -- Sessions not stored yet, in one statement; a stored key is left alone here (do nothing).
      with inserted as (
        insert into radius_sessions (nas_id, realm, acct_session_id, msisdn, imsi, framed_ip, framed_ipv6_prefix,
          delegated_ipv6_prefix, started_at, last_seen_at, stopped_at, stop_reason)
        select * from unnest(p_nas, p_realm, p_id, p_msisdn, p_imsi, p_v4, p_v6, p_pd, p_started, p_seen, p_stopped, p_reason)
        on conflict (nas_id, acct_session_id) do nothing
        returning id, nas_id, acct_session_id
      )
      select coalesce(array_agg(v.n), '{}') into fresh
      from inserted i join unnest(p_nas, p_id) with ordinality as v(nas, sid, n) on v.nas = i.nas_id and v.sid = i.acct_session_id;

      -- A fresh active session whose address another active session holds: superseding (or
      -- being superseded, when the holder is newer) is the 0004 function's work. Looked up per
      -- row (the subqueries stay correlated: one index probe each).
      select coalesce(array_agg(f.n), '{}') into held
      from unnest(fresh) as f(n)
      where p_stopped[f.n] is null and (
        exists (select 1 from radius_sessions h where p_v4[f.n] is not null and h.stopped_at is null and h.realm = p_realm[f.n]
          and h.framed_ip = p_v4[f.n] and not (h.nas_id = p_nas[f.n] and h.acct_session_id = p_id[f.n]))
        or exists (select 1 from radius_sessions h where p_v6[f.n] is not null and h.stopped_at is null and h.realm = p_realm[f.n]
          and h.framed_ipv6_prefix = p_v6[f.n] and not (h.nas_id = p_nas[f.n] and h.acct_session_id = p_id[f.n]))
        or exists (select 1 from radius_sessions h where p_pd[f.n] is not null and h.stopped_at is null and h.realm = p_realm[f.n]
          and h.delegated_ipv6_prefix = p_pd[f.n] and not (h.nas_id = p_nas[f.n] and h.acct_session_id = p_id[f.n])));

      return query select p_nas[f.n], p_id[f.n] from unnest(fresh) as f(n) where not f.n = any(held);

      select coalesce(array_agg(r.n order by r.n), '{}') into rest
      from generate_subscripts(p_nas, 1) as r(n)
      where not r.n = any(fresh) or r.n = any(held);
      if cardinality(rest) = 0 then
        return;
      end if;
      -- The rest, in the order given (sorted by key: two writers lock rows in one order). A held
      -- fresh row is stored already; the 0004 upsert finds it and changes nothing, then its
      -- supersede and late-record steps settle the address. It counts as changed: it was inserted.
      return query
      select c.changed_nas_id, c.changed_acct_session_id
      from apply_session_writes_0004(
        array(select p_nas[n] from unnest(rest) as n), array(select p_realm[n] from unnest(rest) as n),
        array(select p_id[n] from unnest(rest) as n), array(select p_msisdn[n] from unnest(rest) as n),
        array(select p_imsi[n] from unnest(rest) as n), array(select p_v4[n] from unnest(rest) as n),
        array(select p_v6[n] from unnest(rest) as n), array(select p_pd[n] from unnest(rest) as n),
        array(select p_started[n] from unnest(rest) as n), array(select p_seen[n] from unnest(rest) as n),
        array(select p_stopped[n] from unnest(rest) as n), array(select p_reason[n] from unnest(rest) as n)) as c
      where not exists (select 1 from unnest(held) as h(n) where p_nas[h.n] = c.changed_nas_id and p_id[h.n] = c.changed_acct_session_id);
      return query select p_nas[h.n], p_id[h.n] from unnest(held) as h(n);
    end
    $fn$`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`drop function if exists apply_session_writes(${ARGS})`).execute(db)
  await sql.raw(`alter function apply_session_writes_0004(${ARGS}) rename to apply_session_writes`).execute(db)
}
