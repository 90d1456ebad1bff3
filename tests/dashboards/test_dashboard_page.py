import datetime as dt

import pytest

from core.choices import Role
from core.timeutil import business_today
from engine.services import recompute_all
from tests.factories import AccountFactory, OpportunityFactory
from tests.web.access import assert_page_access

pytestmark = pytest.mark.django_db


def test_every_role_may_read_the_dashboard_and_anonymous_is_sent_to_login(client, personas):
    assert_page_access(client, personas, "/dashboards/", tuple(Role.values))


def test_the_dashboard_shows_the_figures_of_the_latest_recompute(client, manager, sales, django_assert_max_num_queries):
    for _ in range(3):
        account = AccountFactory(owner_sales=sales)
        OpportunityFactory(account=account, opened_on=business_today() - dt.timedelta(days=10))
    recompute_all(as_of=business_today())
    client.force_login(manager)
    with django_assert_max_num_queries(20):
        response = client.get("/dashboards/")
    negotiation = next(r for r in response.context["rows"] if r["state"] == "NEGOTIATION")
    assert (negotiation["accounts"], negotiation["under_covered"], negotiation["rate"]) == (3, 3, 0)
    assert list(response.context["by_person"])[0]["n"] == 3
    assert response.context["breadth"]["target_accounts"] == 3


def test_open_alerts_are_counted_by_role_and_by_person_most_first(sales, csm):
    from dashboards.selectors import open_alerts_by_role_and_person
    from engine.models import Alert
    from tests.factories import UserFactory

    other = UserFactory(role="sales", username="zz-other")
    day = business_today()
    for assignee, role, status in [(sales, "sales", "open"), (sales, "sales", "open"), (sales, "sales", "resolved"),
                                   (csm, "csm", "open"), (other, "sales", "open"), (None, "marketing", "open"),
                                   (None, "marketing", "open"), (None, "marketing", "open")]:
        Alert.objects.create(account=AccountFactory(), state="LOYAL", requirement="x", responsible_role=role,
                             assignee=assignee, status=status, gap=1, opened_on=day, changed_on=day)
    by_role, by_person = open_alerts_by_role_and_person(people=2)
    assert by_role == [{"responsible_role": "marketing", "n": 3}, {"responsible_role": "sales", "n": 3},
                       {"responsible_role": "csm", "n": 1}]
    # Ties by username; the third person is past the two asked for; resolved alerts and the queue's are no one's.
    assert [(p["assignee__username"], p["assignee__team"], p["n"]) for p in by_person] == [("sora", "east", 2),
                                                                                          ("chika", "east", 1)]
