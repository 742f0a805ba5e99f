-- Portal benchmark data, loaded into a freshly migrated throwaway database by run.sh:
--   psql -v sessions=N -v step=S -v offset=O -v all_lines=true|false -f seed.sql
--
-- One NAS client for 127.0.0.0/8 (realm 'default'). N active sessions g = 1..N:
--   framed_ip  127.a.b.c = 127.0.0.0 + 65536 + g   (127.1.0.1 ... 127.16.66.64 for N = 1,000,000;
--              never 127.0.x.x, where the servers listen)
--   msisdn     '86138' || lpad(g % 100, 2) || lpad(g / 100, 6)   (13 digits, distinct for g < 10^8)
-- The sampled subscribers are g = k*S + O (k = 0, 1, ...): with S = 100 their masked numbers
-- 138****NNNN end in NNNN = k mod 10000, so 10,000 sampled lines have 10,000 distinct masks.
-- Lines: suspended for arrears (balance -10.00 CNY), for every session (all_lines) or the sample only.
\set ON_ERROR_STOP on
\timing off

insert into nas_clients (name, address, secret, realm, require_message_authenticator)
values ('bench', '127.0.0.0/8', 'testing123', 'default', false);

insert into radius_sessions (nas_id, realm, acct_session_id, msisdn, framed_ip, started_at, last_seen_at)
select n.id, 'default', 'hb-' || g,
       '86138' || lpad((g % 100)::text, 2, '0') || lpad((g / 100)::text, 6, '0'),
       ('127.' || ((g + 65536) >> 16) || '.' || (((g + 65536) >> 8) & 255) || '.' || ((g + 65536) & 255))::inet,
       now() - interval '10 minutes', now()
from generate_series(1, :sessions) as g, (select id from nas_clients where name = 'bench') as n;

insert into lines (msisdn, balance_minor, currency, status, suspension_reason, restore_threshold_minor)
select '86138' || lpad((g % 100)::text, 2, '0') || lpad((g / 100)::text, 6, '0'), -1000, 'CNY', 'suspended', 'arrears', 0
from generate_series(1, :sessions) as g
where :all_lines or g % :step = :offset;
