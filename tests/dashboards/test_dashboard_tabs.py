"""Every dashboard page leads to the others: the tabs name each page, and mark the one being read."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGES = ("coverage", "changes", "trends", "depth", "workload", "outcomes")


@pytest.mark.parametrize("page", PAGES)
def test_each_dashboard_page_links_to_every_other(client, manager, page):
    client.force_login(manager)
    response = client.get(reverse(f"dashboards:{page}"))
    assert response.status_code == 200
    html = response.content.decode()
    tabs = html[html.index('class="dashboard-tabs"'):html.index("</nav>", html.index('class="dashboard-tabs"'))]
    for other in PAGES:
        assert f'href="{reverse(f"dashboards:{other}")}"' in tabs, other
    assert f'href="{reverse(f"dashboards:{page}")}" aria-current="page"' in tabs
    assert tabs.count('aria-current="page"') == 1
