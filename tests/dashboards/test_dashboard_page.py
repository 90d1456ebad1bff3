import datetime as dt

import pytest

from core.choices import Role
from core.timeutil import business_today
from engine.services import recompute_all
from tests.factories import AccountFactory, OpportunityFactory, kept_night
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


def _english(user):
    user.language = "en"
    user.save(update_fields=["language"])
    return user


def test_a_past_night_is_shown_as_it_kept_its_figures_and_a_date_without_one_says_so(client, manager):
    from dashboards.models import DailySnapshot

    day = dt.date(2026, 7, 20)
    kept_night(day)
    DailySnapshot.objects.create(as_of=day, by_state={"LOYAL": {"accounts": 4, "compliant": 3, "under_covered": 1,
                                                                "grace": 0}},
                                 breadth={"target_accounts": 4, "touched_30d": 1, "touched_90d": 2})
    client.force_login(_english(manager))
    kept = client.get("/dashboards/", {"as_of": "2026-07-20"})
    loyal = next(r for r in kept.context["rows"] if r["state"] == "LOYAL")
    assert (kept.status_code, loyal["accounts"], loyal["rate"], kept.context["touched_30_pct"]) == (200, 4, 75, 25)
    assert 'href="/dashboards/trends/"' in kept.content.decode()

    missing = client.get("/dashboards/", {"as_of": "2026-07-19"})
    assert missing.status_code == 200
    assert "No completed night on 2026-07-19" in missing.content.decode()
    assert all(r["accounts"] == 0 for r in missing.context["rows"])

    malformed = client.get("/dashboards/", {"as_of": "19/07/2026"})
    assert malformed.status_code == 400 and "as_of: " in malformed.content.decode()


def test_open_alerts_by_role_show_the_roles_name_not_its_code(client, manager):
    from engine.models import Alert

    day = business_today()
    Alert.objects.create(account=AccountFactory(), state="LOYAL", requirement="x", responsible_role="inside_sales",
                         status="open", gap=1, opened_on=day, changed_on=day)
    client.force_login(_english(manager))
    html = client.get("/dashboards/").content.decode()
    assert "<td>Inside sales</td>" in html and "<td>inside_sales</td>" not in html
    export = client.get("/dashboards/", {"format": "csv", "table": "roles"})
    assert export.content.decode("utf-8") == "\ufeffResponsible role,Open alerts\r\nInside sales,1\r\n"


def test_the_dashboards_tables_download_as_csv_with_a_bom(client, sales, manager):
    AccountFactory(owner_sales=sales)
    recompute_all(as_of=business_today())
    client.force_login(_english(manager))
    states = client.get("/dashboards/", {"format": "csv", "table": "states"})
    lines = states.content.decode("utf-8").splitlines()
    assert lines[0] == "\ufeffState,Accounts,Compliant,Under-covered,Grace,Compliance (%)"
    assert len(lines) == 1 + 10  # every state
    assert f"coverage-states-{business_today().isoformat()}.csv" in states["Content-Disposition"]
    people = client.get("/dashboards/", {"format": "csv", "table": "people"})
    assert people.content.decode("utf-8").startswith("\ufeffPerson,Team,Open alerts\r\n")
    refused = client.get("/dashboards/", {"format": "csv", "table": "nope"})
    assert refused.status_code == 400 and refused.content.decode().startswith("table: ")
