"""Every dashboard page and API at 1M accounts / 10M touches with a year of nightly history (docs/benchmarks.md,
"dashboards"): p50/p95 server time in-process, as bench/pages.py times pages.

The data: the recompute section's accounts and touches (`--only recompute --generate-only`), given people (20 teams
of CSMs, field and inside sales, marketing; executives; a manager), owners in every role by team, industries and
regions; then ONE real night (the whole pipeline, timed, with the outcome and workload writes timed on their own),
its kept rows split by ICP tier (`_tiers_on_kept_rows`). A year of real nights at 1M would take days, so the 364 nights before it are synthesized in SQL from
the real night's kept rows (`_synthesize`): each per-night table gets the real night's rows again under each earlier
date with counts jittered ±10 %, a completed run per night, moves between neighbouring states, and dated outcome
facts (negotiation entries, stretches ended and won or lost, alert stretches and first alerts) at plausible daily
rates drawn from the real night's groups — so every period a page can ask for has rows to sum.
"""

from __future__ import annotations

import datetime as dt
import statistics

from bench.pages import p95
from bench.timing import request_samples
from bench.timing import timed as _timed

AS_OF = dt.date(2026, 7, 20)  # the recompute section's night
HISTORY = 364  # synthesized nights before the real one
REQUESTS = 10  # per page and API after 2 warm-up (p95 of 10: close to the slowest)
ROW_BUDGET = 3_000_000  # rows synthesized per per-night table at most
TEAMS = 20
PER_TEAM = {"csm": 2, "sales": 3, "inside_sales": 2, "marketing": 1}
REGIONS = ("Kanto", "Kansai", "Chubu", "Kyushu", "Tohoku")


def _people() -> dict[str, list[int]]:
    """The bench's people per role, ordered by team (created once)."""
    from core.models import User

    ids: dict[str, list[int]] = {}
    for role, n in PER_TEAM.items():
        ids[role] = []
        for team in range(TEAMS):
            for k in range(n):
                user, _ = User.objects.get_or_create(
                    username=f"bench-{role}-{team:02d}-{k}",
                    defaults={"role": role, "team": f"Team {team:02d}", "full_name": f"Bench {role} {team:02d}-{k}"})
                ids[role].append(user.id)
    ids["executive"] = [User.objects.get_or_create(username=f"bench-exec-{k}", defaults={
        "role": "executive", "full_name": f"Bench Executive {k}"})[0].id for k in range(5)]
    User.objects.get_or_create(username="bench-manager", defaults={"role": "manager", "full_name": "Bench Manager"})
    return ids


def _assign(ids: dict[str, list[int]]) -> None:
    """Owners by team (an account's field rep picks its team; the team's CSM, inside sales and marketer follow),
    an executive for every tenth account, one or two regions. Without the accounts' triggers
    and foreign-key checks (session_replication_role = replica): every id is a bench user's, and the first night
    evaluates every account anyway."""
    from django.db import connection

    regions = ", ".join(f"'{r}'" for r in REGIONS)
    with connection.cursor() as c:
        c.execute("SET session_replication_role = replica")
        c.execute(f"""
            UPDATE accounts_account SET
              owner_sales_id = (%s::bigint[])[1 + (id * 7919) %% {TEAMS * 3}],
              owner_csm_id = (%s::bigint[])[1 + ((id * 7919) %% {TEAMS * 3}) / 3 * 2 + id %% 2],
              owner_inside_sales_id = (%s::bigint[])[1 + ((id * 7919) %% {TEAMS * 3}) / 3 * 2 + (id / 2) %% 2],
              owner_marketing_id = (%s::bigint[])[1 + ((id * 7919) %% {TEAMS * 3}) / 3],
              owner_executive_id = CASE WHEN id %% 10 = 0 THEN (%s::bigint[])[1 + id %% 5] END,
              regions = CASE WHEN id %% 7 = 0 THEN jsonb_build_array((ARRAY[{regions}])[1 + id %% 5],
                                                                      (ARRAY[{regions}])[1 + (id + 1) %% 5])
                             ELSE jsonb_build_array((ARRAY[{regions}])[1 + id %% 5]) END""",
                  [ids["sales"], ids["csm"], ids["inside_sales"], ids["marketing"], ids["executive"]])
        c.execute("SET session_replication_role = DEFAULT")
        c.execute("ANALYZE accounts_account")


def _real_night() -> None:
    """One real night over every account, then the outcome and workload writes timed on their own."""
    from engine.services import recompute_all

    from .recompute import _without_analysis_refresh

    _without_analysis_refresh()
    _assign(_people())
    run = _timed("the real night (every account, 1 process)", lambda: recompute_all(as_of=AS_OF))
    print(f"   {run.accounts:,} accounts, {run.transitions:,} transitions, {run.alerts_opened:,} alerts opened",
          flush=True)
    _writers()


def _writers() -> None:
    from dashboards.outcome_snapshots import outcome_snapshot_write
    from dashboards.workload import workload_snapshot_write

    n = _timed("outcome facts of the night (dashboards.outcome_snapshots)", lambda: outcome_snapshot_write(as_of=AS_OF))
    print(f"   {n:,} outcome rows", flush=True)
    n = _timed("workload rows of the night (dashboards.workload)", lambda: workload_snapshot_write(as_of=AS_OF))
    print(f"   {n:,} workload rows", flush=True)


TIERED = ("dashboards_outcomesnapshot", "dashboards_workloadsnapshot", "dashboards_funnelsnapshot",
          "dashboards_breadthsnapshot")


def _tiers_on_kept_rows() -> None:
    """The pipeline scores ICP fit and the bench has no profile, so the night found no tier. Rather than a second
    UPDATE of every account (minutes here), each kept row of the night is written again under tiers A, B and C (the
    rows a page reads grow fourfold, as tiers would split them)."""
    from django.db import connection

    with connection.cursor() as c:
        for table in TIERED:
            c.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                      "AND column_name NOT IN ('id', 'icp_tier')", [table])
            columns = ", ".join(r[0] for r in c.fetchall())
            c.execute(f"INSERT INTO {table} ({columns}, icp_tier) SELECT {columns}, t FROM {table}, "
                      f"unnest(ARRAY['A', 'B', 'C']) t WHERE as_of = %s AND icp_tier = ''", [AS_OF])


JITTER = "GREATEST(0, round({0} * (0.9 + 0.2 * random())))::int"
# table → (the columns copied as they are, the counts jittered)
PER_NIGHT = {
    "dashboards_depthsnapshot": ("state, responsible_role, owner_id, team", "accounts, compliant, under_covered, "
                                 "grace, touches_required, touches_done, human_touches, digital_touches"),
    "dashboards_breadthsnapshot": ("state, owner_id, team, industry, region, icp_tier, first_owner, first_in_team, "
                                   "first_region",
                                   "accounts, compliant, under_covered, grace, touched_30d, touched_90d"),
    "dashboards_funnelsnapshot": ("state, owner_id, team, industry, region, icp_tier, first_owner, first_in_team, "
                                  "first_region", "accounts"),
    "dashboards_contentmixsnapshot": ("state, owner_id, team, content_stage, channel, first_owner, first_in_team",
                                      "touches"),
    "dashboards_workloadsnapshot": ("state, responsible_role, owner_id, team, industry, region, icp_tier, "
                                    "first_region", "accounts, touches"),
}
# Outcome facts a day brings: (cohort, the kinds written together for one drawn event, the chance per day per account
# of a real-night group of the family drawn from). At 1M accounts: ~400 entries into negotiation a day, ~90 customers
# churning, ~450 leads leaving their stretch (a third converting), two stretches of an open alert per account a year.
DAILY_FACTS = (
    ("negotiation", ("entry",), 0.0012, "customers"),
    ("customers", ("end", "hit"), 0.00027, "customers"),
    ("customers", ("alert_end", "taint"), 0.0055, "customers"),
    ("leads", ("end", "hit"), 0.0014, "leads"),
    ("leads", ("alert_end", "taint"), 0.0055, "leads"),
)
DIMS = "owner_id, team, industry, region, icp_tier, first_owner, first_in_team, first_region"


def _synthesize() -> None:
    """The 364 nights before the real one, from its rows (see the module's docstring)."""
    from django.db import connection

    with connection.cursor() as c:
        c.execute("DELETE FROM dashboards_nightfigures WHERE run_id IN (SELECT id FROM engine_recomputerun "
                  "WHERE as_of < %s)", [AS_OF])
        c.execute("DELETE FROM engine_recomputerun WHERE as_of < %s", [AS_OF])
        c.execute("""INSERT INTO engine_recomputerun (as_of, status, mode, config_fingerprint, accounts_evaluated,
                         started_at, finished_at, chunk_size, chunks_total, chunks_done, accounts, counts_by_state,
                         alerts_opened, alerts_resolved, transitions, handoffs_created, error, failed_accounts)
                     SELECT %s::date - k, 'completed', r.mode, r.config_fingerprint, r.accounts_evaluated,
                            r.started_at - k * interval '1 day', r.finished_at - k * interval '1 day', r.chunk_size,
                            r.chunks_total, r.chunks_done, r.accounts, r.counts_by_state, r.alerts_opened,
                            r.alerts_resolved, r.transitions, r.handoffs_created, '', 0
                     FROM engine_recomputerun r, generate_series(1, %s) k WHERE r.as_of = %s""",
                  [AS_OF, HISTORY, AS_OF])
        c.execute("""INSERT INTO dashboards_nightfigures (run_id, status, created_at, finished_at, message)
                     SELECT id, 'succeeded', finished_at, finished_at, '' FROM engine_recomputerun WHERE as_of < %s""",
                  [AS_OF])
        c.execute("DELETE FROM dashboards_dailysnapshot WHERE as_of < %s", [AS_OF])
        c.execute("""INSERT INTO dashboards_dailysnapshot (as_of, by_state, breadth, by_role, created_at)
                     SELECT %s::date - k, by_state, breadth, by_role, created_at - k * interval '1 day'
                     FROM dashboards_dailysnapshot, generate_series(1, %s) k WHERE as_of = %s""",
                  [AS_OF, HISTORY, AS_OF])
        for table, (kept, counted) in PER_NIGHT.items():
            counts = [x.strip() for x in counted.split(",")]
            c.execute(f"DELETE FROM {table} WHERE as_of < %s", [AS_OF])
            c.execute(f"SELECT count(*) FROM {table} WHERE as_of = %s", [AS_OF])
            per_night = c.fetchone()[0]
            # These pages read one night by an index on as_of: past nights beyond the row budget change nothing.
            nights = max(30, min(HISTORY, ROW_BUDGET // max(1, per_night)))
            c.execute(f"INSERT INTO {table} (as_of, {kept}, {counted}) "
                      f"SELECT %s::date - k, {kept}, {', '.join(JITTER.format(n) for n in counts)} "
                      f"FROM {table}, generate_series(1, %s) k WHERE as_of = %s", [AS_OF, nights, AS_OF])
            print(f"   {table}: {per_night:,} rows a night, {nights} nights before the real one", flush=True)
        _synthesize_moves(c)
        _synthesize_outcomes(c)
        c.execute("ANALYZE")


def _synthesize_moves(c) -> None:
    """A day's moves: from each funnel group of the real night to the next state, for about 0.3 % of its accounts."""
    c.execute("DELETE FROM dashboards_movementsnapshot WHERE as_of < %s", [AS_OF])
    c.execute("""
        INSERT INTO dashboards_movementsnapshot (as_of, from_state, to_state, owner_id, team, industry, region,
            icp_tier, first_owner, first_in_team, first_region, moves)
        SELECT %s::date - k, f.state, (ARRAY['LEAD', 'HOT_LEAD', 'NEGOTIATION', 'ONBOARDING', 'ACTIVE', 'LOYAL',
               'CHURNED', 'TARGET_NO_LEAD'])[1 + (k + f.id) %% 8], f.owner_id, f.team, f.industry, f.region,
               f.icp_tier, f.first_owner, f.first_in_team, f.first_region, 1 + (f.accounts / 300)::int
        FROM dashboards_funnelsnapshot f, generate_series(1, %s) k
        WHERE f.as_of = %s AND random() < 0.3""", [AS_OF, HISTORY, AS_OF])


def _synthesize_outcomes(c) -> None:
    """Dated outcome facts for each day of the year before the night, drawn from the real night's groups of accounts
    in the family (its `now` rows): a group has an event on a day with the chance its accounts × the daily rate; an
    event is written as each of its kinds (an ended stretch and its outcome; an alert stretch's end and its first
    alert), with a `since` up to 500 days earlier and, for a third of the outcomes, an alert until the end."""
    c.execute("DELETE FROM dashboards_outcomesnapshot WHERE day IS NOT NULL AND day < %s", [AS_OF])
    # The real night classified every account for the first time: its stretches all start that night. The history
    # says they were there all year, so those starts go.
    c.execute("DELETE FROM dashboards_outcomesnapshot WHERE kind IN ('start', 'alert_start') AND day = %s", [AS_OF])
    for cohort, kinds, chance, family in DAILY_FACTS:
        c.execute(f"""
            WITH drawn AS (
              SELECT o.*, k, abs(hashint4(o.id::int + k * 7919)) AS h
              FROM dashboards_outcomesnapshot o, generate_series(1, %(history)s) k
              WHERE o.as_of = %(night)s AND o.cohort = %(family)s AND o.kind = 'now'
                AND random() < o.accounts * %(chance)s)
            INSERT INTO dashboards_outcomesnapshot (as_of, cohort, kind, day, since, clear, outcome, met, {DIMS},
                accounts)
            SELECT %(night)s, %(cohort)s, v.kind, %(night)s::date - d.k,
                   CASE WHEN v.kind = 'entry' THEN NULL ELSE %(night)s::date - d.k - 1 - d.h %% 500 END,
                   CASE WHEN v.kind <> 'hit' THEN NULL WHEN d.h %% 3 = 0 THEN %(night)s::date - d.k
                        ELSE %(night)s::date - d.k - 1 - d.h %% 500 END,
                   CASE WHEN v.kind = 'entry' THEN (ARRAY['hit', 'miss', 'open'])[1 + d.h %% 3] ELSE '' END,
                   d.h %% 4 <> 0, {", ".join("d." + x.strip() for x in DIMS.split(","))}, 1
            FROM drawn d CROSS JOIN (VALUES {", ".join(f"('{k}')" for k in kinds)}) v(kind)""",
                  {"history": HISTORY, "night": AS_OF, "family": family, "chance": chance, "cohort": cohort})



def _pages(people: dict[str, list[int]]) -> list[tuple[str, str, str]]:
    """(who, label, url) of every dashboard page and API that exists, plain and filtered."""
    from django.urls import Resolver404, resolve

    team, owner, night = "Team 03", people["sales"][10], AS_OF - dt.timedelta(days=30)
    year = f"from={AS_OF - dt.timedelta(days=364)}&to={AS_OF}"
    candidates = [
        ("manager", "coverage", "/dashboards/"), ("manager", "coverage, a team", f"/dashboards/?team={team}"),
        ("manager", "trends (default period)", "/dashboards/trends/"),
        ("manager", "trends, a year", f"/dashboards/trends/?{year}"),
        ("manager", "what changed overnight", "/dashboards/changes/"),
        ("manager", "depth", "/dashboards/depth/"), ("manager", "depth, a past night, a team",
                                                      f"/dashboards/depth/?as_of={night}&team={team}"),
        ("manager", "outcomes (180 days)", "/dashboards/outcomes/"),
        ("manager", "outcomes, a year", f"/dashboards/outcomes/?{year}"),
        ("manager", "outcomes, a team, tier A", f"/dashboards/outcomes/?team={team}&icp_tier=A"),
        ("manager", "outcomes, an owner, a region", f"/dashboards/outcomes/?owner={owner}&region=Kansai"),
        ("rep", "outcomes, a rep (own + team)", "/dashboards/outcomes/"),
        ("manager", "workload", "/dashboards/workload/"),
        ("manager", "workload, a past night, a team", f"/dashboards/workload/?as_of={night}&team={team}"),
        ("rep", "workload, a rep (own + team)", "/dashboards/workload/"),
        ("manager", "funnel", "/dashboards/funnel/"), ("manager", "funnel, a year's moves", f"/dashboards/funnel/?{year}"),
        ("manager", "content mix", "/dashboards/content-mix/"),
        ("manager", "outcomes CSV", "/dashboards/outcomes/?format=csv&table=customers"),
        ("manager", "workload CSV", "/dashboards/workload/?format=csv&table=owners"),
    ]
    for name in ("coverage", "trends", "changes", "depth", "outcomes", "workload", "funnel", "content-mix"):
        candidates.append(("manager", f"API {name}", f"/api/v1/dashboards/{name}/"))
    candidates += [("manager", "API outcomes, a year, a team", f"/api/v1/dashboards/outcomes/?{year}&team={team}"),
                   ("rep", "API outcomes, a rep", "/api/v1/dashboards/outcomes/"),
                   ("rep", "API workload, a rep", "/api/v1/dashboards/workload/")]
    found = []
    for who, label, url in candidates:
        try:
            resolve(url.split("?")[0])
        except Resolver404:
            continue
        found.append((who, label, url))
    return found


def _time(client, label: str, url: str) -> tuple[float, float] | None:
    samples, failed = request_samples(client, url, requests=REQUESTS)
    if failed is not None:
        print(f"   {label}: HTTP {failed.status_code} {failed.content[:200]!r}", flush=True)
        return None
    p50, high = statistics.median(samples), p95(samples)
    print(f"   {label:<40} p50 {p50:7.1f} ms  p95 {high:7.1f} ms{'' if high < 500 else '  (over 500 ms)'}",
          flush=True)
    return p50, high


def run(args) -> None:
    import logging

    from django.test import Client

    from accounts.models import Account
    from core.models import User
    from engine.models import RecomputeRun

    accounts = Account.objects.count()
    if not accounts:
        print("   no accounts: run `--only recompute --generate-only` first")
        return
    completed = RecomputeRun.objects.filter(status=RecomputeRun.Status.COMPLETED)
    if not completed.filter(as_of=AS_OF).exists():
        _real_night()
    elif args.reuse_data:
        _writers()  # the night's writes timed again (they replace the night's rows)
    if completed.count() < HISTORY + 1:
        _timed("tiers on the night's kept rows", _tiers_on_kept_rows)
        _timed(f"{HISTORY} nights of history synthesized in SQL", _synthesize)
    # The synthesized facts are drawn at random, not from histories: their cohorts need not add up, which the
    # outcomes page logs (and clamps). What is measured here is the time.
    logging.getLogger("dashboards.outcomes").setLevel(logging.ERROR)
    people = _people()
    clients = {}
    for who, username in (("manager", "bench-manager"), ("rep", "bench-sales-03-0")):
        clients[who] = Client()
        clients[who].force_login(User.objects.get(username=username))
    print(f"   {accounts:,} accounts, {completed.count():,} completed nights; {REQUESTS} requests each "
          f"(after 2 warm-up), server time in-process", flush=True)
    for who, label, url in _pages(people):
        _time(clients[who], label, url)
