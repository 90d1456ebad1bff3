"""The handoff inbox and the feedback figures at scale (docs/benchmarks.md, "handoffs"): 1M accounts and 100k
handoffs of mixed statuses spread over a year, sent and received among 50 people.

The accounts of the bench database are reused when there are as many as asked (the recompute section's 1M);
otherwise bare accounts are generated in SQL. The handoffs are drawn here (one random stream, so the same data every
time) as the night would have left them — rule, states, sender, receiver, ICP fit and tier, lead source, due and
escalation times from the business calendar — with decisions (accepted, rejected with a reason, superseded, a few
pending, breached and escalated), a transition beside each and the handoff alerts that go with them. The business
hours to each decision are drawn near its due time, not counted (only the figures' arithmetic reads them).

Then each page is requested through Django's test client in-process (server time: view, queries, template):
first once with Django's cache emptied ("first", the uncached figures: what the first reader after a change
waits), then REQUESTS times after a warm-up (steady p50 / p95, the feedback figures then coming from the cache
while the handoffs are unchanged), printed next to the 200 ms goal — with, as the machine is often shared, what one
more request spent in the database and the process's own CPU time (p50), which waiting for a busy core does not
inflate.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time

GOAL_MS = 200
REQUESTS = 20
WARM_UP = 2
# The people: role -> how many (teams east, west and north in turn).
PEOPLE = {"inside_sales": 10, "sales": 14, "csm": 10, "marketing": 8, "manager": 6, "executive": 2}
TEAMS = ("east", "west", "north")
# Default rules (handoffs/defaults.py) by share of the handoffs, with the states they come from when any state may.
RULE_SHARES = {"lead-to-inside-sales": 30, "inside-sales-to-sales": 30, "sales-to-csm-onboarding": 15,
               "csm-to-sales-active": 10, "sales-to-csm-loyal": 5, "sales-to-marketing-churned": 10}
ANY_FROM = {"HOT_LEAD": ("LEAD", "TARGET_NO_LEAD", "HIGH_POTENTIAL_LEAD"), "ONBOARDING": ("NEGOTIATION",),
            "LOYAL": ("ACTIVE",), "CHURNED": ("ACTIVE", "ONBOARDING")}
ACCEPTANCE = {"A": 0.8, "B": 0.6, "C": 0.3, "": 0.5}
REASONS = ("not_icp", "no_budget", "no_need", "bad_timing", "wrong_contact", "wrong_owner", "bad_data", "other")
SOURCES = ("web", "seminar", "referral", "ad", "")
HANDOFF_COLUMNS = (
    "account_id", "rule_id", "rule_name", "from_state", "to_state", "from_role", "to_role", "model", "created_on",
    "status", "assignee_id", "due_at", "reason", "comment", "decided_at", "decided_by_id", "sla_breached",
    "sla_business_hours", "escalate_at", "escalated", "sender_id", "icp_fit", "icp_profile_name", "icp_tier",
    "lead_source", "decision_business_hours",
)


def run(args) -> None:
    from handoffs.models import Handoff

    n_accounts = args.accounts or 1_000_000
    n_handoffs = args.handoffs or 100_000
    today = _today()
    started = time.perf_counter()
    lo, hi = ensure_accounts(n_accounts)
    print(f"   {hi - lo + 1:,} accounts ready in {time.perf_counter() - started:.0f} s", flush=True)
    people = ensure_people()
    if Handoff.objects.count() != n_handoffs or not args.reuse_data:
        started = time.perf_counter()
        generate_handoffs(n_handoffs, lo=lo, hi=hi, people=people, today=today)
        print(f"   {n_handoffs:,} handoffs, their transitions and alerts generated in "
              f"{time.perf_counter() - started:.0f} s", flush=True)
    time_pages(people=people, today=today)


def _today() -> dt.date:
    from core.timeutil import business_today

    return business_today()


def ensure_accounts(n: int) -> tuple[int, int]:
    """(first id, last id) of `n` accounts: those of the bench database when it holds exactly `n`, else new bare
    accounts (everything that hangs on accounts is emptied)."""
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT count(*), min(id), max(id) FROM accounts_account")
        count, lo, hi = c.fetchone()
        if count == n and hi - lo + 1 == n:
            return lo, hi
        c.execute("TRUNCATE accounts_account CASCADE")
        c.execute("""
            INSERT INTO accounts_account (external_id, name, corporate_number, domain, industry, listed, employees,
                departments, regions, technologies, prefecture, is_target, state, state_initial, icp_fit, icp_tier,
                icp_matched, created_at, updated_at)
            SELECT 'H' || g, 'Bench ' || g, '', '', (ARRAY['manufacturing','it','retail','finance'])[1 + g %% 4],
                   g %% 5 = 0, 10 + g %% 5000, '[]', '[]', '[]', '', true, 'LEAD', false, g %% 101,
                   (ARRAY['A','B','B','C','C'])[1 + g %% 5], '[]', now(), now()
            FROM generate_series(1, %s) g""", [n])
        c.execute("VACUUM ANALYZE accounts_account")
        c.execute("SELECT min(id), max(id) FROM accounts_account")
        return c.fetchone()


def ensure_people() -> dict[str, list]:
    """The 50 people who send, receive and manage the handoffs, by role (created once)."""
    from core.models import User

    people: dict[str, list] = {}
    for role, count in PEOPLE.items():
        people[role] = []
        for k in range(count):
            user, _ = User.objects.get_or_create(username=f"bench-{role}-{k + 1:02d}", defaults={
                "role": role, "full_name": f"Bench {role} {k + 1}", "team": TEAMS[k % len(TEAMS)]})
            people[role].append(user)
    return people


def generate_handoffs(n: int, *, lo: int, hi: int, people: dict[str, list], today: dt.date) -> None:
    """`n` handoffs over the year to `today` (rows drawn by `draw_handoff`), COPYed; then a transition beside each
    and the alerts their statuses imply, in SQL."""
    from django.db import connection

    from core.bulk import bulk_insert_rows
    from handoffs.calendar import BusinessCalendar
    from handoffs.models import Handoff, HandoffRule

    rules = {r.name: r for r in HandoffRule.objects.filter(name__in=RULE_SHARES)}
    missing = set(RULE_SHARES) - set(rules)
    if missing:
        raise SystemExit(f"the default handoff rules are missing: {sorted(missing)}")
    with connection.cursor() as c:
        # The bench's own transitions go with the handoffs; those of the recompute section's nights stay.
        c.execute("TRUNCATE handoffs_handoff CASCADE")
        c.execute("DELETE FROM segments_statetransition WHERE facts ? 'bench_handoff'")
    drawer = HandoffDrawer(rules=rules, people=people, calendar=BusinessCalendar.load(), today=today)
    rng = random.Random(14)
    rows = [drawer.draw(rng, account_id=rng.randint(lo, hi)) for _ in range(n)]
    bulk_insert_rows(Handoff, HANDOFF_COLUMNS, rows)
    with connection.cursor() as c:
        _derived_rows(c)
        c.execute("VACUUM ANALYZE handoffs_handoff")
        c.execute("VACUUM ANALYZE handoffs_handoffalert")
        c.execute("VACUUM ANALYZE segments_statetransition")


def _derived_rows(c) -> None:
    """Each handoff's transition (its facts), the open returned alert of a third of the rejections, and the SLA and
    escalation alerts of the pending handoffs past due / past twice their SLA."""
    c.execute("""
        INSERT INTO segments_statetransition (account_id, as_of, from_state, to_state, rule, facts, created_at)
        SELECT account_id, created_on, from_state, to_state, lower(to_state),
               jsonb_build_object('max_open_lead_score', 70 + id % 30, 'icp_fit', icp_fit, 'won_count', id % 4,
                                  'bench_handoff', true),
               now()
        FROM handoffs_handoff""")
    c.execute("""
        INSERT INTO handoffs_handoffalert (handoff_id, kind, recipient_id, recipient_role, status, opened_at,
            resolved_at, reason, comment)
        SELECT id, 'returned', sender_id, from_role, CASE WHEN id % 3 = 0 THEN 'open' ELSE 'resolved' END,
               decided_at, CASE WHEN id % 3 = 0 THEN NULL ELSE decided_at + interval '1 day' END, reason, comment
        FROM handoffs_handoff WHERE status = 'rejected'""")
    c.execute("""
        INSERT INTO handoffs_handoffalert (handoff_id, kind, recipient_id, recipient_role, status, opened_at,
            reason, comment)
        SELECT id, 'sla', assignee_id, to_role, 'open', due_at + interval '10 minutes', '', ''
        FROM handoffs_handoff WHERE status = 'pending' AND sla_breached""")
    c.execute("""
        INSERT INTO handoffs_handoffalert (handoff_id, kind, recipient_id, recipient_role, status, opened_at,
            reason, comment)
        SELECT h.id, 'escalation', m.id, 'manager', 'open', h.escalate_at + interval '10 minutes', '', ''
        FROM handoffs_handoff h JOIN core_user a ON a.id = h.assignee_id
        JOIN core_user m ON m.role = 'manager' AND m.team = a.team AND m.username LIKE 'bench-%'
        WHERE h.status = 'pending' AND h.escalated""")


class HandoffDrawer:
    """One handoff row as the night and then its receiver would have left it."""

    def __init__(self, *, rules: dict, people: dict[str, list], calendar, today: dt.date) -> None:
        self.rules, self.people, self.calendar, self.today = rules, people, calendar, today
        self.names, self.weights = list(RULE_SHARES), list(RULE_SHARES.values())
        self.now = dt.datetime.now(tz=calendar.zone)
        self._times: dict[tuple[dt.date, int], tuple[dt.datetime, dt.datetime]] = {}

    def times(self, created_on: dt.date, hours: int) -> tuple[dt.datetime, dt.datetime]:
        """due_at and escalate_at, as the night computes them (cached: a year of days by six SLAs)."""
        from handoffs.calendar import escalation_time, sla_due_at

        key = (created_on, hours)
        if key not in self._times:
            self._times[key] = (sla_due_at(start=created_on, business_hours=hours, calendar=self.calendar),
                                escalation_time(created_on=created_on, sla_business_hours=hours,
                                                calendar=self.calendar))
        return self._times[key]

    def draw(self, rng: random.Random, *, account_id: int) -> tuple:
        rule = self.rules[rng.choices(self.names, weights=self.weights)[0]]
        from_state = rng.choice(rule.from_states or ANY_FROM[rule.to_state])
        created_on = self.today - dt.timedelta(days=int(rng.random() * 365))
        due_at, escalate_at = self.times(created_on, rule.sla_business_hours)
        receivers = self.people[rule.to_role]
        assignee = rng.choice(receivers).id if rng.random() > 0.03 else None
        sender = rng.choice(self.people[rule.from_role]).id
        tier = rng.choices(("A", "B", "C", ""), weights=(20, 45, 30, 5))[0]
        fit = {"A": rng.randint(80, 100), "B": rng.randint(50, 79), "C": rng.randint(0, 49), "": None}[tier]
        age = (self.today - created_on).days
        roll = rng.random()
        # Pending: most of the last two days', a few of the month's, one in a hundred older (forgotten, escalated).
        left_pending = 0.85 if age <= 2 else 0.06 if age <= 30 else 0.01
        status = ("pending" if roll < left_pending else "superseded" if roll < left_pending + 0.08
                  else "accepted" if rng.random() < ACCEPTANCE[tier] else "rejected")
        decided_at = decided_by = hours = None
        reason = comment = ""
        if status in ("accepted", "rejected"):
            sla = rule.sla_business_hours
            decided_at = due_at + dt.timedelta(hours=rng.uniform(-0.8, 0.6) * sla)
            decided_at = max(decided_at, dt.datetime.combine(created_on, dt.time(9, 30), tzinfo=self.calendar.zone))
            decided_by = assignee or rng.choice(receivers).id
            hours = round(rng.uniform(0.5, 1.6) * sla, 2)
            if status == "rejected":
                reason = "not_icp" if tier == "C" and rng.random() < 0.5 else rng.choice(REASONS)
                comment = "bench"
        pending = status == "pending"
        return (account_id, rule.id, rule.name, from_state, rule.to_state, rule.from_role, rule.to_role, rule.model,
                created_on, status, assignee, due_at, reason, comment, decided_at, decided_by,
                pending and due_at < self.now, rule.sla_business_hours, escalate_at,
                pending and escalate_at < self.now, sender, fit, "Bench profile" if tier else "", tier,
                rng.choice(SOURCES), hours)


def time_pages(*, people: dict[str, list], today: dt.date) -> None:
    """The inbox as a receiver and as a manager, the feedback page and its API, each REQUESTS times."""
    from django.test import Client

    from handoffs.models import Handoff

    receiver = people["sales"][0]
    manager = people["manager"][0]
    mine = Handoff.objects.filter(assignee=receiver)
    print(f"   {Handoff.objects.count():,} handoffs; the receiver {receiver.username} has {mine.count():,} "
          f"({mine.filter(status='pending').count():,} pending); goal p95 < {GOAL_MS} ms", flush=True)
    sender = people["inside_sales"][0]
    month, quarter, year = ((today - dt.timedelta(days=days - 1)).isoformat() for days in (30, 90, 365))
    rep, boss = Client(), Client()
    rep.force_login(receiver)
    boss.force_login(manager)
    _time(rep, (
        ("inbox, receiver (pending)", "/handoffs/"),
        ("inbox, receiver, accepted", "/handoffs/?status=accepted"),
        ("inbox, receiver, sent by me", "/handoffs/?tab=sent"),
    ))
    _time(boss, (
        ("inbox, manager's team", "/handoffs/?tab=team"),
        ("inbox, manager, rule + state", "/handoffs/?tab=team&rule=inside-sales-to-sales&state=NEGOTIATION"),
        ("inbox, manager, sender, all", f"/handoffs/?tab=team&status=&sender={sender.id}"),
        ("inbox, manager, rejected", "/handoffs/?tab=team&status=rejected"),
        ("feedback page, default period", "/handoffs/feedback/"),
        ("feedback page, 30 days", f"/handoffs/feedback/?from={month}&to={today.isoformat()}"),
        ("feedback page, 90 days", f"/handoffs/feedback/?from={quarter}&to={today.isoformat()}"),
        ("feedback page, a year", f"/handoffs/feedback/?from={year}&to={today.isoformat()}"),
        ("API feedback, 90 days", f"/api/v1/handoffs/feedback/?start={quarter}&end={today.isoformat()}"),
        ("API feedback, a year", f"/api/v1/handoffs/feedback/?start={year}&end={today.isoformat()}"),
    ))


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18]


def _db_share(client, url: str) -> tuple[int, float]:
    """One more request, its queries recorded: how many, and their total time in ms (the rest is Python: view,
    figures, template)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return len(queries.captured_queries), sum(float(q["time"]) for q in queries.captured_queries) * 1000


def _time(client, pages) -> None:
    from django.core.cache import cache

    for label, url in pages:
        samples, cpu = [], []
        cache.clear()
        started = time.perf_counter()
        client.get(url)
        first = (time.perf_counter() - started) * 1000
        for i in range(REQUESTS + WARM_UP):
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            cpu.append((time.process_time() - cpu_started) * 1000)
            if response.status_code != 200:
                print(f"   {label:<34} HTTP {response.status_code} ({url})", flush=True)
                break
            if i >= WARM_UP:
                samples.append(elapsed)
        if samples:
            worst = p95(samples)
            verdict = "ok" if worst < GOAL_MS else "OVER"
            n_queries, db_ms = _db_share(client, url)
            print(f"   {label:<34} first (uncached) {first:7.1f} ms  steady p50 {statistics.median(samples):7.1f} ms  "
                  f"p95 {worst:7.1f} ms  "
                  f"(goal {GOAL_MS} ms: {verdict})  {n_queries} queries, {db_ms:.0f} ms in the database, "
                  f"Python CPU p50 {statistics.median(cpu[WARM_UP:]):.0f} ms", flush=True)
