SET synchronous_commit = off;
INSERT INTO core_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined, role, full_name, team, language)
SELECT '!', false, 'u' || g, '', '', '', false, true, now(), CASE WHEN g % 2 = 0 THEN 'sales' ELSE 'csm' END, 'User ' || g, 'team' || (g % 10), 'en'
FROM generate_series(1, 300) g;
INSERT INTO accounts_account (external_id, name, corporate_number, domain, industry, listed, departments, regions, technologies, prefecture, is_target,
  owner_sales_id, owner_csm_id, lead_role, state, state_since, state_initial, icp_fit, icp_tier, icp_matched, created_at, updated_at)
SELECT 'A' || g, 'Company ' || md5(g::text), '', '', 'ind' || (g % 20), null, '[]', ('["r' || (g % 8) || '"]')::jsonb, '[]', '', true,
  (SELECT min(id) FROM core_user) + (g % 150) * 2 + 1, (SELECT min(id) FROM core_user) + (g % 150) * 2,
  '', (ARRAY['TARGET_NO_LEAD','HIGH_POTENTIAL_LEAD','NEGOTIATION','ACTIVE','LOYAL','OUT_OF_SCOPE'])[1 + g % 6], null, false, 50,
  (ARRAY['A','B','C',''])[1 + g % 4], '[]', now(), now()
FROM generate_series(1, 1000000) g;
INSERT INTO engine_accountevaluation (account_id, due_on, state, coverage, last_touch_on, after_night)
SELECT id, null, state, CASE WHEN state IN ('TARGET_NO_LEAD','OUT_OF_SCOPE') THEN '' ELSE (ARRAY['compliant','grace','under_covered'])[1 + id % 3] END,
  DATE '2026-07-20' - (id % 200)::int, false FROM accounts_account;
INSERT INTO engine_coveragerow (account_id, state, requirement, kind, min_count, window_days, counted, gap, status, last_touch_on, due_on, responsible_role, assignee_id, as_of)
SELECT a.id, a.state, r.code, 'human', 1, 30, 0, 1, (ARRAY['covered','grace','under_covered','due_soon'])[1 + (a.id + r.n) % 4], null, null, r.role,
  CASE WHEN r.role = 'sales' THEN a.owner_sales_id ELSE a.owner_csm_id END, DATE '2026-07-20'
FROM accounts_account a CROSS JOIN (VALUES ('human', 'sales', 0), ('executive', 'csm', 1)) r(code, role, n)
WHERE a.state NOT IN ('TARGET_NO_LEAD','OUT_OF_SCOPE');
INSERT INTO engine_recomputerun (as_of, status, mode, started_at, chunk_size, chunks_total, chunks_done, accounts, counts_by_state, alerts_opened, alerts_resolved, transitions, handoffs_created, error, accounts_evaluated, config_fingerprint, failed_accounts)
VALUES (DATE '2026-07-20', 'completed', 'full', now(), 1000, 0, 0, 0, '{}', 0, 0, 0, 0, '', 0, '', 0);
ANALYZE;
