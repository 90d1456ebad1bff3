"""Handoffs where their receivers work (docs/rules.md §8): the "Handoffs for you" box on Today, the pending handoff
and the handoff history on the account page, the lead role on the accounts list — and the accept and reject forms
on these pages, posted as a person would."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from core.choices import Role, State
from core.timeutil import business_today
from handoffs.models import Handoff, HandoffAlert
from handoffs.receiving import TODAY_SHOWN
from tests.factories import AccountFactory
from tests.handoffs.helpers import make_handoff, person
from tests.web.factories import under_covered

pytestmark = pytest.mark.django_db

FAR = timezone.now().date() + dt.timedelta(days=60)  # a handoff created then is far from its SLA
LONG_AGO = timezone.now().date() - dt.timedelta(days=60)  # … and one created then is long past it


def english(user):
    user.language = "en"
    user.save()
    return user


def today_page(client, user) -> tuple:
    client.force_login(english(user))
    response = client.get(reverse("today"))
    assert response.status_code == 200
    return response, response.content.decode()


def shown_handoffs(response) -> list[str]:
    return [item.handoff.account.name for item in response.context["handoffs"].handoffs]


# --- Today ---------------------------------------------------------------------------------------------------------


def test_today_shows_my_pending_handoffs_and_my_roles_unassigned_ones_not_another_receivers(client, sales, csm):
    other_sales = person("sato", Role.SALES)
    ines = person("ines2", Role.INSIDE_SALES, full_name="Ines Sender")
    make_handoff(rule=2, account=AccountFactory(name="Mine"), assignee=sales, sender=ines, icp_fit=83, icp_tier="A",
                 created_on=FAR)
    make_handoff(rule=2, account=AccountFactory(name="Sales queue"), created_on=FAR)
    make_handoff(rule=2, account=AccountFactory(name="Sato's"), assignee=other_sales, created_on=FAR)
    make_handoff(rule=3, account=AccountFactory(name="CSM queue"), created_on=FAR)
    decided = make_handoff(rule=2, account=AccountFactory(name="Decided"), assignee=sales, created_on=FAR)
    Handoff.objects.filter(pk=decided.pk).update(status=Handoff.Status.ACCEPTED)
    response, page = today_page(client, sales)
    assert sorted(shown_handoffs(response)) == ["Mine", "Sales queue"]
    assert "Sato&#x27;s" not in page and "CSM queue" not in page and "Decided" not in page
    # The transition in state labels, the roles, the ICP fit, the SLA left, the sender; a baton handoff.
    assert "Hot lead → In negotiation" in page and "Inside sales → Field sales" in page
    assert "ICP fit 83 (tier A)" in page and "business hours left" in page and "From Ines Sender" in page
    assert "Baton: the account passes to you." in page
    mine = Handoff.objects.get(account__name="Mine")
    assert f'action="{reverse("handoffs:accept", args=[mine.pk])}"' in page
    assert f'action="{reverse("handoffs:reject", args=[mine.pk])}"' in page
    assert 'name="reason"' in page and "Not our ideal customer" in page and 'name="comment"' in page


def test_another_receivers_handoff_is_not_on_my_today(client, sales):
    make_handoff(rule=2, account=AccountFactory(name="Sato's"), assignee=person("sato", Role.SALES))
    response, page = today_page(client, sales)
    assert shown_handoffs(response) == [] and "Handoffs for you" not in page


def test_breached_handoffs_come_first_and_say_so_in_red(client, sales):
    make_handoff(rule=2, account=AccountFactory(name="Due later"), assignee=sales, created_on=FAR)
    make_handoff(rule=2, account=AccountFactory(name="Breached"), assignee=sales, created_on=LONG_AGO)
    response, page = today_page(client, sales)
    assert shown_handoffs(response) == ["Breached", "Due later"]
    assert "SLA breached" in page and "handoff-sla-breached" in page


def test_a_three_legged_handoff_says_the_sender_stays_on_as_support(client, csm):
    sender = person("sales1", Role.SALES, full_name="Sana Sender")
    make_handoff(rule=3, account=AccountFactory(name="Onboard Co", owner_sales=sender), assignee=csm, sender=sender)
    _response, page = today_page(client, csm)
    assert "you will lead; Sana Sender stays on as support." in page


def test_today_shows_at_most_ten_handoffs_and_points_to_the_inbox(client, sales):
    for i in range(TODAY_SHOWN + 2):
        make_handoff(rule=2, account=AccountFactory(name=f"Acc {i:02d}"), assignee=sales, created_on=FAR)
    response, page = today_page(client, sales)
    assert len(shown_handoffs(response)) == TODAY_SHOWN
    assert "More are waiting" in page and f'href="{reverse("handoffs:list")}"' in page


def test_the_second_page_of_today_does_not_repeat_the_handoffs(client, sales):
    make_handoff(rule=2, account=AccountFactory(name="Mine"), assignee=sales)
    client.force_login(sales)
    response = client.get(reverse("today"), {"after": "anything"})
    assert response.context["handoffs"] is None


def test_a_coverage_item_names_the_accounts_supporting_owner(client, sales, csm):
    supported = under_covered(assignee=sales, name="Supported", opened_on=business_today())
    Account.objects.filter(pk=supported.account_id).update(supporting_owner=csm)
    under_covered(assignee=sales, name="Alone", opened_on=business_today())
    _response, page = today_page(client, sales)
    assert page.count("supported by") == 1 and "supported by Chika CSM" in page


# --- accepting and rejecting through the pages ---------------------------------------------------------------------


def test_accepting_a_baton_handoff_on_today_shows_the_new_owner_and_lead_role_on_the_account_page(client, sales):
    inside = person("ines1", Role.INSIDE_SALES, full_name="Ines Inside One")
    account = AccountFactory(name="Baton Co", owner_inside_sales=inside)
    handoff = make_handoff(rule=2, account=account, assignee=sales, sender=inside, created_on=FAR)
    today_page(client, sales)
    detail = reverse("accounts:detail", args=[account.pk])
    response = client.post(reverse("handoffs:accept", args=[handoff.pk]), {"next": detail}, follow=True)
    assert response.redirect_chain[-1][0] == detail
    owners = response.context["owners"]
    assert ("field sales", sales) in [(str(label), user) for label, user in owners]
    page = response.content.decode()
    assert '<dd class="lead-role">Field sales</dd>' in page
    assert '<dd class="supporting-owner">—</dd>' in page
    assert "Pending handoff" not in page and "Accepted" in page
    assert shown_handoffs(client.get(reverse("today"))) == []


def test_accepting_a_three_legged_handoff_records_the_sender_as_supporting_owner(client, csm):
    sender = person("sales1", Role.SALES, full_name="Sana Sender")
    account = AccountFactory(name="Onboard Co", owner_sales=sender, state=State.ONBOARDING)
    handoff = make_handoff(rule=3, account=account, sender=sender, created_on=FAR)  # unassigned: any CSM
    detail = reverse("accounts:detail", args=[account.pk])
    client.force_login(english(csm))
    page = client.get(detail).content.decode()
    assert "Pending handoff" in page and f'action="{reverse("handoffs:accept", args=[handoff.pk])}"' in page
    page = client.post(reverse("handoffs:accept", args=[handoff.pk]), {"next": detail}, follow=True).content.decode()
    account.refresh_from_db()
    assert (account.owner_csm, account.lead_role, account.supporting_owner) == (csm, Role.CSM, sender)
    assert '<dd class="supporting-owner">Sana Sender</dd>' in page
    assert '<dd class="lead-role">Customer success</dd>' in page
    # The new owner's coverage items name who supports the account.
    under_covered(account=account, assignee=csm, state=State.ONBOARDING, opened_on=business_today())
    _response, today = today_page(client, csm)
    assert "supported by Sana Sender" in today


def test_rejecting_on_today_returns_the_handoff_to_the_senders_today_with_reason_and_comment(client, sales):
    inside = person("ines1", Role.INSIDE_SALES, full_name="Ines Inside One")
    account = AccountFactory(name="Frozen Co", owner_inside_sales=inside)
    handoff = make_handoff(rule=2, account=account, assignee=sales, sender=inside, created_on=FAR)
    today_page(client, sales)
    response = client.post(reverse("handoffs:reject", args=[handoff.pk]),
                           {"reason": "no_budget", "comment": "FY budget frozen", "next": reverse("today")},
                           follow=True)
    assert response.redirect_chain[-1][0] == reverse("today")
    assert shown_handoffs(response) == []
    account.refresh_from_db()
    assert account.owner_sales is None and account.lead_role == ""
    response, page = today_page(client, inside)
    alerts = response.context["handoffs"].alerts
    assert [a.alert.kind for a in alerts] == [HandoffAlert.Kind.RETURNED]
    assert "Frozen Co" in page and "No budget" in page and "FY budget frozen" in page
    acknowledge = reverse("handoffs:alert-acknowledge", args=[alerts[0].alert.pk])
    assert f'action="{acknowledge}"' in page
    response = client.post(acknowledge, {"next": reverse("today")}, follow=True)
    assert response.context["handoffs"].alerts == []


def test_sla_and_escalation_alerts_reach_their_recipients_today(client, sales, manager):
    handoff = make_handoff(rule=2, account=AccountFactory(name="Slow Co"), assignee=sales, created_on=LONG_AGO)
    now = timezone.now()
    HandoffAlert.objects.create(handoff=handoff, kind=HandoffAlert.Kind.SLA, recipient=sales,
                                recipient_role=Role.SALES, opened_at=now)
    HandoffAlert.objects.create(handoff=handoff, kind=HandoffAlert.Kind.ESCALATION, recipient=manager,
                                recipient_role=Role.MANAGER, opened_at=now)
    response, page = today_page(client, sales)
    assert [a.alert.kind for a in response.context["handoffs"].alerts] == [HandoffAlert.Kind.SLA]
    assert "Handoff SLA breached" in page
    response, page = today_page(client, manager)
    assert [a.alert.kind for a in response.context["handoffs"].alerts] == [HandoffAlert.Kind.ESCALATION]
    assert "Handoff escalated" in page and "Slow Co" in page


def test_the_account_page_offers_no_decision_to_who_may_not_decide(client, marketer, sales):
    account = AccountFactory(name="Someone else's")
    handoff = make_handoff(rule=2, account=account, assignee=sales, created_on=FAR)
    client.force_login(english(marketer))
    page = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert "Pending handoff" in page and "Waiting for Sora Sales to accept or reject it." in page
    assert reverse("handoffs:accept", args=[handoff.pk]) not in page


# --- the account page's history and the query budgets --------------------------------------------------------------


def test_the_account_page_lists_the_handoff_history_newest_first(client, sales, inside_sales):
    account = AccountFactory(name="History Co")
    first = make_handoff(rule=1, account=account, created_on=dt.date(2026, 6, 1), sender=person("m1", Role.MARKETING))
    Handoff.objects.filter(pk=first.pk).update(status=Handoff.Status.REJECTED, reason="bad_timing",
                                               comment="call in autumn", decided_by=inside_sales)
    make_handoff(rule=2, account=account, created_on=dt.date(2026, 7, 17), assignee=sales)
    client.force_login(english(sales))
    response = client.get(reverse("accounts:detail", args=[account.pk]))
    history = response.context["handoffs"].history
    assert [h.created_on for h in history] == [dt.date(2026, 7, 17), dt.date(2026, 6, 1)]
    page = response.content.decode()
    for text in ("2026-06-01", "lead-to-inside-sales", "Rejected", "Bad timing", "call in autumn", "Ines Inside",
                 "2026-07-17", "Pending"):
        assert text in page


def count_queries(client, url) -> int:
    client.get(url)  # sessions, caches: the second request is the one counted
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_today_reads_at_most_two_more_queries_with_handoffs_whatever_their_number(client, sales):
    """Today read 5 queries before the handoffs: they add their two (pending handoffs, handoff alerts) and, only
    when a handoff is pending, the business calendar for its SLA, which replaces the second read of the settings."""
    client.force_login(sales)
    under_covered(assignee=sales, name="Item", opened_on=business_today())
    without = count_queries(client, reverse("today"))
    assert without <= 6  # the budget of tests/web/test_today.py
    HandoffAlert.objects.create(handoff=make_handoff(rule=1, account=AccountFactory()), kind="returned",
                                recipient=sales, recipient_role=Role.SALES, opened_at=timezone.now(), reason="other")
    assert count_queries(client, reverse("today")) == without
    make_handoff(rule=2, account=AccountFactory(), assignee=sales)
    with_some = count_queries(client, reverse("today"))
    for i in range(15):
        make_handoff(rule=2, account=AccountFactory(supporting_owner=sales), assignee=sales,
                     sender=person(f"s{i}", Role.INSIDE_SALES))
        under_covered(assignee=sales, name=f"Supported {i}", opened_on=business_today())
    Account.objects.update(supporting_owner=sales)
    assert count_queries(client, reverse("today")) == with_some == without + 1 <= 7


def test_the_account_page_reads_at_most_two_more_queries_whatever_the_number_of_handoffs(client, sales):
    client.force_login(sales)
    account = AccountFactory(supporting_owner=sales, lead_role=Role.SALES)
    url = reverse("accounts:detail", args=[account.pk])
    without = count_queries(client, url)
    for i in range(3):
        make_handoff(rule=2, account=account, created_on=dt.date(2026, 7, 1 + i), sender=person(f"a{i}", Role.SALES),
                     assignee=person(f"b{i}", Role.SALES), status=Handoff.Status.SUPERSEDED)
    make_handoff(rule=2, account=account, assignee=sales)
    few = count_queries(client, url)
    for i in range(30):
        make_handoff(rule=2, account=account, created_on=dt.date(2026, 5, 1) + dt.timedelta(days=i),
                     sender=person(f"c{i}", Role.SALES), decided_by=person(f"d{i}", Role.SALES),
                     status=Handoff.Status.ACCEPTED)
    assert count_queries(client, url) == few <= without + 2


# --- the accounts list ---------------------------------------------------------------------------------------------


def test_the_accounts_list_shows_and_filters_by_lead_role(client, sales):
    AccountFactory(name="Led by sales", lead_role=Role.SALES)
    AccountFactory(name="Led by CSM", lead_role=Role.CSM)
    AccountFactory(name="Nobody leads")
    client.force_login(english(sales))
    page = client.get(reverse("accounts:list")).content.decode()
    assert "Lead role" in page and "<td>Customer success</td>" in page and "<td>Field sales</td>" in page
    response = client.get(reverse("accounts:list"), {"lead_role": Role.SALES})
    assert [a.name for a in response.context["accounts"]] == ["Led by sales"]
    response = client.get(reverse("accounts:list"), {"lead_role": "chief"})
    assert response.status_code == 200 and "lead_role" in response.content.decode()


def test_the_accounts_list_keeps_its_query_budget_with_lead_roles(client, sales, csm, django_assert_max_num_queries):
    client.force_login(sales)
    for i in range(30):
        AccountFactory(owner_sales=sales, owner_csm=csm, lead_role=Role.SALES, supporting_owner=csm)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("accounts:list"), {"lead_role": Role.SALES}).status_code == 200


def test_the_accounts_api_filters_by_lead_role_and_names_a_role_it_cannot_read(client, manager):
    AccountFactory(name="Led by sales", lead_role=Role.SALES)
    AccountFactory(name="Led by CSM", lead_role=Role.CSM)
    client.force_login(manager)
    response = client.get("/api/v1/accounts/", {"lead_role": Role.CSM})
    assert [row["name"] for row in response.json()["results"]] == ["Led by CSM"]
    response = client.get("/api/v1/accounts/", {"lead_role": "chief"})
    assert response.status_code == 400 and list(response.json()) == ["lead_role"]


def test_rejecting_on_today_without_a_reason_says_so_and_leaves_the_handoff_pending(client, sales):
    handoff = make_handoff(rule=2, account=AccountFactory(name="Undecided Co"), assignee=sales, created_on=FAR)
    today_page(client, sales)
    response = client.post(reverse("handoffs:reject", args=[handoff.pk]),
                           {"reason": "", "comment": "no", "next": reverse("today")}, follow=True)
    assert response.status_code == 200 and response.redirect_chain[-1][0] == reverse("today")
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.PENDING
    assert shown_handoffs(response) == ["Undecided Co"]
    assert any("reason" in str(m).lower() for m in response.context["messages"])
