"""Server time of the busiest pages at the scale already in the bench database (run `recompute` first).

A field-sales rep is given the alerts of every 50th account; Today and the accounts list are requested through
Django's test client in-process, so the figure is server time (views, queries, templates), not network.
A marketer then reads the ICP pages (profile list, review, learning, breadth), which read the precomputed
snapshots: they are refreshed once first, and that refresh is timed on its own.
"""

from __future__ import annotations

import statistics
import time

from .timing import request_samples

REQUESTS = 40


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18]


def run(args) -> None:
    from django.db import connection
    from django.test import Client

    from accounts.models import Account
    from core.models import User

    if not Account.objects.exists():
        print("   no accounts: run the recompute section first")
        return
    rep, _ = User.objects.get_or_create(username="bench-rep", defaults={"role": "sales", "full_name": "Bench Rep"})
    with connection.cursor() as c:
        c.execute("UPDATE accounts_account SET owner_sales_id = %s WHERE id %% 50 = 0", [rep.id])
        c.execute("UPDATE engine_alert SET assignee_id = %s WHERE status = 'open' AND account_id %% 50 = 0", [rep.id])
        c.execute("SELECT count(*) FROM engine_alert WHERE status = 'open' AND assignee_id = %s", [rep.id])
        alerts = c.fetchone()[0]
        c.execute("ANALYZE engine_alert")
        c.execute("ANALYZE accounts_account")
    client = Client()
    client.force_login(rep)
    accounts = Account.objects.count()
    print(f"   {accounts:,} accounts; the rep has {alerts:,} open alerts", flush=True)
    _time_pages(client, (
        ("Today", "/today/"),
        ("Today, role queue", "/today/?queue=1"),
        ("accounts list", "/accounts/"),
        ("accounts list, state filter", "/accounts/?state=NEGOTIATION"),
        ("accounts list, under-covered", "/accounts/?under_covered=true"),
        ("accounts list, name search", "/accounts/?q=Bench+4242"),
        ("API accounts (cursor page)", "/api/v1/accounts/"),
        ("API alerts, mine", "/api/v1/alerts/?mine=true&status=open"),
        ("coverage dashboard", "/dashboards/"),
        ("API coverage figures", "/api/v1/dashboards/coverage/"),
    ))
    # During the day reps log touches: each re-evaluates its account after the night, and the figures must then
    # look those accounts' touches up as of the night's date (engine.tallies.figures_by_state).
    _log_touches(rep, n=20)
    _time_pages(client, (
        ("coverage dashboard, touches logged", "/dashboards/"),
        ("API coverage figures, touches logged", "/api/v1/dashboards/coverage/"),
    ))
    _icp_pages()


def _log_touches(rep, *, n: int) -> None:
    """`n` touches logged now by the rep on its accounts, as the touch form and the API do. Marked as the API's,
    which the recompute section's reset (--reuse-data) removes with the days' data."""
    from accounts.models import Account
    from contacts.services import touch_log
    from core.choices import TouchSource

    for account in Account.objects.filter(owner_sales=rep).order_by("id")[:n]:
        touch_log(actor=rep, account=account, kind="human", channel="phone", source=TouchSource.API)
    print(f"   {n} touches logged by the rep (each account evaluated after the night)", flush=True)


def _time_pages(client, pages) -> None:
    for label, url in pages:
        samples, refused = request_samples(client, url, requests=REQUESTS, warmup=3)
        if refused is not None:
            print(f"   {label}: HTTP {refused.status_code}")
        if samples:
            print(f"   {label:<32} p50 {statistics.median(samples):7.1f} ms  p95 {p95(samples):7.1f} ms", flush=True)


def _icp_pages() -> None:
    """The ICP pages as marketing reads them, after one refresh of the stored analyses (timed separately)."""
    from django.test import Client

    from core.models import User
    from profiles.models import IcpProfile
    from profiles.services import analysis_refresh_all

    marketer, _ = User.objects.get_or_create(username="bench-marketer",
                                             defaults={"role": "marketing", "full_name": "Bench Marketer"})
    started = time.perf_counter()
    snapshots = analysis_refresh_all()
    print(f"   analysis refresh (all snapshots) {time.perf_counter() - started:.1f} s ({snapshots} snapshots)",
          flush=True)
    client = Client()
    client.force_login(marketer)
    pages = [("ICP profile list", "/profiles/")]
    profile = IcpProfile.objects.filter(current_version__isnull=False).order_by("-active", "id").first()
    if profile is not None:
        from accounts.models import Account

        pages.append(("ICP review", f"/profiles/{profile.pk}/review/"))
        pages.append(("ICP review, account search", f"/profiles/{profile.pk}/review/?q=Bench+4242"))
        account_id = Account.objects.order_by("id").values_list("id", flat=True)[500_000 % max(1, Account.objects.count())]
        pages.append(("ICP account explanation", f"/profiles/{profile.pk}/accounts/{account_id}/"))
        numbers = list(profile.versions.order_by("number").values_list("number", flat=True))
        old, new = numbers[0], numbers[-1]
        # The period of the bench's nightly runs, so the state history is there to read.
        pages.append((f"ICP validation, v{old} vs v{new}",
                      f"/profiles/{profile.pk}/validate/?start=2026-07-21&end=2026-12-31&old={old}&new={new}&min_sample=30"))
    else:
        print("   no ICP profile: the review page is not timed")
    pages += [
        ("ICP learning (default choice)", "/profiles/learn/"),
        ("ICP learning, loyal, min 5", "/profiles/learn/?loyal=on&min_wins=2&min_sample=5"),
        ("ICP breadth of A/B targets", "/profiles/breadth/"),
    ]
    _time_pages(client, pages)
