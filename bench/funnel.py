"""The funnel and the content mix at scale (dashboards.funnel, dashboards.content_mix): the night's writes and the
pages and APIs reading a year of kept nights.

Data, in SQL (generate_series): `--accounts` accounts (default 1M) owned by the 50 bench people of three teams (a
field-sales, an inside-sales, a CSM and a marketing owner each, a third without a CSM), four industries, none, one
or two of eight regions, ICP tiers A/B/C/none, spread over the states; a year of transitions (1.4 per account) and
`--touches` touches (default 10M) over the year with content stages and channels; a completed run per night.

Timed: the night's write (funnel, moves since the previous night, content mix) on this data; the first write that
backfills every night's moves; then the latest night's funnel and content mix rows copied to the 364 nights before
it (a year of history as large as today's), and each page and API as a manager (everyone), a rep (their team) and
with filters — server time through Django's test client in-process.
"""

from __future__ import annotations

import datetime as dt
import statistics

from bench.pages import p95
from bench.timing import request_samples, timed

NIGHT = dt.date(2026, 7, 20)
NIGHTS = 365
REQUESTS = 15
GOAL_MS = 500
STATES = ("TARGET_NO_LEAD", "LEAD", "LEAD", "HIGH_POTENTIAL_LEAD", "HOT_LEAD", "NEGOTIATION", "ONBOARDING",
          "ACTIVE", "ACTIVE", "LOYAL", "CHURNED", "OUT_OF_SCOPE")
MOVES = (("TARGET_NO_LEAD", "LEAD"), ("LEAD", "HOT_LEAD"), ("LEAD", "HIGH_POTENTIAL_LEAD"), ("HOT_LEAD", "NEGOTIATION"),
         ("HIGH_POTENTIAL_LEAD", "NEGOTIATION"), ("NEGOTIATION", "ONBOARDING"), ("NEGOTIATION", "LEAD"),
         ("ONBOARDING", "ACTIVE"), ("ACTIVE", "LOYAL"), ("ACTIVE", "CHURNED"), ("LOYAL", "CHURNED"))


def _ids(people, role) -> str:
    return "ARRAY[" + ",".join(str(u.id) for u in people[role]) + "]::bigint[]"


def generate(n_accounts: int, n_touches: int) -> None:
    from django.db import connection

    from bench.handoffs import ensure_people
    from dashboards.models import NightFigures
    from engine.models import RecomputeRun

    people = ensure_people()
    states = "ARRAY[" + ",".join(f"'{s}'" for s in STATES) + "]"
    regions = "ARRAY['[]','[]','[\"kanto\"]','[\"kansai\"]','[\"tokai\"]','[\"kyushu\"]','[\"kanto\",\"kansai\"]'," \
              "'[\"hokkaido\"]','[\"tohoku\"]','[\"chugoku\",\"shikoku\"]']"
    with connection.cursor() as c:
        c.execute("TRUNCATE accounts_account, contacts_touch, engine_recomputerun, segments_statetransition, "
                  "dashboards_funnelsnapshot, dashboards_movementsnapshot, dashboards_contentmixsnapshot, "
                  "dashboards_contentplansnapshot CASCADE")
        c.execute(f"""
            INSERT INTO accounts_account (external_id, name, corporate_number, domain, industry, listed, employees,
                departments, regions, technologies, prefecture, is_target, state, state_initial, icp_fit, icp_tier,
                icp_matched, created_at, updated_at, owner_sales_id, owner_inside_sales_id, owner_csm_id,
                owner_marketing_id)
            SELECT 'F' || g, 'Bench ' || g, '', '', (ARRAY['manufacturing','it','retail','finance'])[1 + g %% 4],
                   false, 10, '[]', ({regions})[1 + (g / 7) %% 10]::jsonb, '[]', '', true,
                   ({states})[1 + (g * 13) %% {len(STATES)}], false, 50, (ARRAY['A','B','C',''])[1 + (g / 3) %% 4],
                   '[]', now(), now(), ({_ids(people, 'sales')})[1 + g %% 14],
                   ({_ids(people, 'inside_sales')})[1 + (g / 5) %% 10],
                   CASE WHEN g %% 3 = 0 THEN NULL ELSE ({_ids(people, 'csm')})[1 + (g / 11) %% 10] END,
                   ({_ids(people, 'marketing')})[1 + (g / 17) %% 8]
            FROM generate_series(1, %s) g""", [n_accounts])
        c.execute("INSERT INTO engine_accountevaluation (account_id, state, coverage, after_night) "
                  "SELECT id, state, '', false FROM accounts_account")
        c.execute("SELECT min(id), max(id) FROM accounts_account")
        lo, hi = c.fetchone()
        froms = "ARRAY[" + ",".join(f"'{a}'" for a, _ in MOVES) + "]"
        tos = "ARRAY[" + ",".join(f"'{b}'" for _, b in MOVES) + "]"
        c.execute(f"""
            INSERT INTO segments_statetransition (account_id, as_of, from_state, to_state, rule, facts, created_at)
            SELECT %s + (g * 7919) %% (%s - %s + 1), DATE %s - (g %% {NIGHTS})::int,
                   ({froms})[1 + (g / 3) %% {len(MOVES)}], ({tos})[1 + (g / 3) %% {len(MOVES)}], 'bench', '{{}}', now()
            FROM generate_series(1::bigint, %s::bigint) g""", [lo, hi, lo, NIGHT, int(n_accounts * 1.4)])
        c.execute("""
            INSERT INTO contacts_touch (account_id, occurred_at, occurred_on, kind, channel, content_stage,
                performer_role, source, note, created_at)
            SELECT %s + (g * 7919) %% (%s - %s + 1), t, (t AT TIME ZONE 'Asia/Tokyo')::date,
                   CASE WHEN g %% 5 < 2 THEN 'human' ELSE 'digital' END,
                   (ARRAY['visit','phone','online_meeting','email','webinar','newsletter','seminar',''])[1 + g %% 8],
                   (ARRAY['education','solution','selection','negotiation','relation',''])[1 + (g / 8) %% 6],
                   (ARRAY['sales','csm','marketing','inside_sales','marketing','executive'])[1 + g %% 6], 'csv', '',
                   now()
            FROM generate_series(1::bigint, %s::bigint) g,
                 LATERAL (SELECT TIMESTAMPTZ '2026-07-20 12:00+09' - ((g * 104729) %% (365 * 24 * 60))
                                 * INTERVAL '1 minute' AS t) x""", [lo, hi, lo, n_touches])
    runs = RecomputeRun.objects.bulk_create(RecomputeRun(as_of=NIGHT - dt.timedelta(days=k), status="completed")
                                            for k in range(NIGHTS))
    NightFigures.objects.bulk_create(NightFigures(run=run, status="succeeded") for run in runs)  # read as kept
    with connection.cursor() as c:
        c.execute("VACUUM ANALYZE")


def _timed(label: str, work) -> object:
    return timed(label, work, width=58, show_result=True)


def write_nights() -> None:
    """The night's write, timed: first backfilling every night's moves, then as an ordinary night; the latest
    night's funnel, content mix and content plan copied to the nights before it."""
    from django.db import connection

    from dashboards.funnel import funnel_snapshot_write

    _timed("night write, first (moves of every night backfilled)", lambda: funnel_snapshot_write(as_of=NIGHT))
    _timed("night write, an ordinary night (moves since the previous)", lambda: funnel_snapshot_write(as_of=NIGHT))
    with connection.cursor() as c:
        for table, columns in (
            ("dashboards_funnelsnapshot", "state, owner_id, team, industry, region, icp_tier, first_owner, "
                                          "first_in_team, first_region, accounts"),
            ("dashboards_contentmixsnapshot", "state, owner_id, team, content_stage, channel, first_owner, "
                                              "first_in_team, touches"),
            ("dashboards_contentplansnapshot", "state, stages, channels, stage_share, channel_share"),
        ):
            c.execute(f"DELETE FROM {table} WHERE as_of < %s", [NIGHT])
            c.execute(f"INSERT INTO {table} (as_of, {columns}) SELECT as_of - k, {columns} FROM {table}, "
                      f"generate_series(1, %s) k WHERE as_of = %s", [NIGHTS - 1, NIGHT])
            c.execute(f"SELECT count(*) FROM {table} WHERE as_of = %s", [NIGHT])
            per_night = c.fetchone()[0]
            c.execute(f"VACUUM ANALYZE {table}")
            print(f"   {table}: {per_night:,} rows a night, {per_night * NIGHTS:,} for the year", flush=True)
        c.execute("SELECT count(*) FROM dashboards_movementsnapshot")
        print(f"   dashboards_movementsnapshot: {c.fetchone()[0]:,} rows for the year", flush=True)


def time_pages(pages, client) -> None:
    for label, url in pages:
        samples, failed = request_samples(client, url, requests=REQUESTS)
        if failed is not None:
            print(f"   {label:<44} HTTP {failed.status_code} ({url})", flush=True)
        if samples:
            worst = p95(samples)
            print(f"   {label:<44} p50 {statistics.median(samples):7.1f} ms  p95 {worst:7.1f} ms  "
                  f"({'ok' if worst < GOAL_MS else 'OVER'} against {GOAL_MS} ms)", flush=True)


def run(args) -> None:
    from django.test import Client

    from accounts.models import Account
    from core.models import User

    n_accounts, n_touches = args.accounts or 1_000_000, args.touches or 10_000_000
    if not (args.reuse_data and Account.objects.count() == n_accounts):
        _timed(f"generate {n_accounts:,} accounts, {n_touches:,} touches, a year of moves",
               lambda: generate(n_accounts, n_touches))
    write_nights()
    manager = User.objects.get(username="bench-manager-01")
    rep = User.objects.get(username="bench-sales-01")
    mine = f"owner={rep.id}"
    client = Client()
    client.force_login(manager)
    time_pages((
        ("funnel page, manager", "/dashboards/funnel/"),
        ("funnel page, a year of moves", "/dashboards/funnel/?from=2025-07-21&to=2026-07-20"),
        ("funnel page, region + tier", "/dashboards/funnel/?region=kanto&icp_tier=A"),
        ("funnel page, team east + industry", "/dashboards/funnel/?team=east&industry=retail"),
        ("funnel API, manager", "/api/v1/dashboards/funnel/"),
        ("funnel API, a past night, a year of moves", "/api/v1/dashboards/funnel/?as_of=2026-01-10&from=2025-07-21"),
        ("content mix page, manager", "/dashboards/content-mix/"),
        ("content mix API, team west", "/api/v1/dashboards/content-mix/?team=west"),
    ), client)
    client.force_login(rep)
    time_pages((
        ("funnel page, rep (own + team)", "/dashboards/funnel/"),
        ("funnel API, rep, own accounts, a year", f"/api/v1/dashboards/funnel/?{mine}&from=2025-07-21"),
        ("content mix page, rep", "/dashboards/content-mix/"),
    ), client)
