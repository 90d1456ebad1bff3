"""Accounts list drill-downs at scale: `DATABASE_URL=… DJANGO_DEBUG=1 python -m bench.drilldowns` on a database
filled by bench/drilldowns.sql (1M accounts, 300 people in 10 teams, evaluations, 2 coverage rows per account with
requirements). Times the accounts page (first page, 50 rows, keyset order) with each dashboard drill-down filter,
signed in as a manager: median and worst of 5 after one warm-up."""

from __future__ import annotations

import os
import statistics
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coverage_console.settings")
django.setup()

from django.test import Client  # noqa: E402

from core.models import User  # noqa: E402

CASES = [
    ("no filter", {}),
    ("team", {"team": "team3"}),
    ("coverage class", {"coverage": "grace"}),
    ("state + coverage class", {"state": "ACTIVE", "coverage": "under_covered"}),
    ("touched within 30 days, target", {"touched_within": "30", "target": "true"}),
    ("role + team + class (depth by_state)", {"state": "ACTIVE", "responsible_role": "sales", "team": "team3",
                                              "coverage": "under_covered"}),
    ("role + owner (depth by_owner)", {"responsible_role": "csm", "owner": None}),
    ("role + owner, 6,667 accounts", {"responsible_role": "sales", "owner": "sales"}),
    ("state + coverage class, 5% of accounts", {"state": "LOYAL", "coverage": "grace"}),
    ("industry + tier + class (breadth)", {"industry": "ind7", "icp_tier": "A", "coverage": "compliant",
                                           "target": "true"}),
]


def main() -> None:
    user, _ = User.objects.get_or_create(username="bench-manager", defaults={"role": "manager", "team": ""})
    owner = User.objects.filter(role="csm").order_by("id").values_list("id", flat=True).first()
    # The second sales rep: the sales owner (and sales assignee) of 6,667 accounts with requirements.
    sales = User.objects.filter(role="sales").order_by("id").values_list("id", flat=True)[1]
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    for label, params in CASES:
        people = {None: owner, "sales": sales}
        params = {k: (str(people[v]) if v in people else v) for k, v in params.items()}
        client.get("/accounts/", params)
        times = []
        for _ in range(5):
            start = time.perf_counter()
            response = client.get("/accounts/", params)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (label, response.status_code)
        print(f"{label:45s} median {statistics.median(times):7.1f} ms  worst {max(times):7.1f} ms  "
              f"rows {len(response.context['accounts']) if response.context else '?'}")


if __name__ == "__main__":
    main()
