"""Server time of the busiest pages at the scale already in the bench database (run `recompute` first).

A field-sales rep is given the alerts of every 50th account; Today and the accounts list are requested through
Django's test client in-process, so the figure is server time (views, queries, templates), not network.
"""

from __future__ import annotations

import statistics
import time

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
    for label, url in (
        ("Today", "/today/"),
        ("Today, role queue", "/today/?queue=1"),
        ("accounts list", "/accounts/"),
        ("accounts list, state filter", "/accounts/?state=NEGOTIATION"),
        ("accounts list, under-covered", "/accounts/?under_covered=true"),
        ("API accounts (cursor page)", "/api/v1/accounts/"),
        ("API alerts, mine", "/api/v1/alerts/?mine=true&status=open"),
    ):
        samples = []
        for i in range(REQUESTS + 3):
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                print(f"   {label}: HTTP {response.status_code}")
                break
            if i >= 3:  # warm-up
                samples.append(elapsed)
        if samples:
            print(f"   {label:<32} p50 {statistics.median(samples):7.1f} ms  p95 {p95(samples):7.1f} ms", flush=True)
