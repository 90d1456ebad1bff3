"""The standards what-if (standards.whatif) holds its contract: each side is what the next night leaves — the night
run with today's standards ("current"), and the night run after saving the proposal ("proposed"), as of the day
after the latest completed run, nothing else changed. Compared: the under-covered accounts, the open alerts by
responsible role and by owner, the compliance per state (docs/rules.md §4, §5, §9)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.db import connection

from accounts.models import Account, Lead
from contacts.models import Touch
from core.choices import Role, State
from engine.models import AccountEvaluation, Alert
from engine.services import recompute_all
from standards.models import Standard
from standards.services import standard_set_save, standard_snapshot
from standards.whatif import preview_standards
from tests.engine import nights
from tests.next_night import D1, first_night, night_rolled_back  # noqa: F401 (first_night: a fixture)

pytestmark = pytest.mark.django_db
D = nights.D


def saved() -> dict[str, list[dict]]:
    return {s.state: standard_snapshot(s)["requirements"] for s in Standard.objects.prefetch_related("requirements")}


def night_outcome(as_of: dt.date) -> dict:
    """What the nights left, in the what-if's terms (open coverage alerts; evaluations per state and class)."""
    open_alerts = Alert.objects.filter(status=Alert.Status.OPEN)
    by_owner = Counter(username for username in open_alerts.values_list("assignee__username", flat=True) if username)
    classes = Counter(AccountEvaluation.objects.values_list("state", "coverage"))
    under = sum(n for (_state, coverage), n in classes.items() if coverage == "under_covered")
    assert under == open_alerts.values("account_id").distinct().count()
    return {
        "under_covered_accounts": under,
        "alerts": open_alerts.count(),
        "alerts_by_role": dict(Counter(open_alerts.values_list("responsible_role", flat=True))),
        "alerts_by_owner": dict(by_owner),
        "alerts_unassigned": open_alerts.filter(assignee__isnull=True).count(),
        "accounts_by_state": {s: sum(n for (state, _c), n in classes.items() if state == s) for s in State.values},
        "compliant_by_state": {s: classes.get((s, "compliant"), 0) for s in State.values},
    }


def side_outcome(side: dict) -> dict:
    keys = ("under_covered_accounts", "alerts", "alerts_by_role", "alerts_by_owner", "alerts_unassigned")
    return {**{k: side[k] for k in keys},
            "accounts_by_state": {s: v["accounts"] for s, v in side["compliance_by_state"].items()},
            "compliant_by_state": {s: v["compliant"] for s, v in side["compliance_by_state"].items()}}


def next_night(proposal: dict | None, as_of: dt.date) -> dict:
    """The next night's outcome, rolled back: with the proposal saved first when there is one."""
    return night_rolled_back(as_of, read=lambda: night_outcome(as_of), save=(
        lambda: standard_set_save(requirements_by_state=proposal, actor=None)) if proposal else None)


def assert_contract(proposal: dict) -> dict:
    result = preview_standards(proposal=proposal)
    assert result["as_of"] == D1
    assert side_outcome(result["current"]) == next_night(None, D1)
    assert side_outcome(result["proposed"]) == next_night(proposal, D1)
    return result


def with_requirement(state: str, code: str, **changes) -> dict:
    requirements = saved()[state]
    for r in requirements:
        if r["code"] == code:
            r.update(changes)
    return {state: requirements}


def test_a_tighter_requirement(first_night):
    result = assert_contract(with_requirement("ACTIVE", "human", window_days=7, min_count=2))
    assert result["changed_states"] == ["ACTIVE"]
    assert result["proposed"]["under_covered_accounts"] >= result["current"]["under_covered_accounts"]
    assert result["mode"] == ("incremental" if connection.vendor == "postgresql" else "full")


def test_a_looser_requirement(first_night):
    result = assert_contract({**with_requirement("LEAD", "digital", min_count=1, window_days=120),
                              **with_requirement("HIGH_POTENTIAL_LEAD", "human", window_days=365)})
    assert result["proposed"]["alerts"] <= result["current"]["alerts"]


def test_an_added_requirement(first_night):
    proposal = saved()
    proposal = {"NEGOTIATION": proposal["NEGOTIATION"] + [{
        "code": "exec", "kind": "human", "min_count": 1, "window_days": 90, "responsible_role": Role.SALES,
        "performer_roles": [Role.CSM, Role.INSIDE_SALES]}],
        "TARGET_NO_LEAD": [{"code": "reach", "kind": "digital", "min_count": 1, "window_days": 60,
                            "responsible_role": Role.MARKETING, "performer_roles": []}]}
    result = assert_contract(proposal)
    assert result["current"]["compliance_by_state"]["TARGET_NO_LEAD"]["rate"] is None
    assert result["proposed"]["compliance_by_state"]["TARGET_NO_LEAD"]["requirements"] == 1


def test_a_removed_requirement(first_night):
    result = assert_contract({"ACTIVE": [], "CHURNED": []})
    assert "ACTIVE" in result["changed_states"]
    assert result["proposed"]["compliance_by_state"]["ACTIVE"]["compliant"] == 0


def test_accounts_whose_state_changes_tomorrow_are_counted_in_their_new_state(first_night):
    # A won deal tomorrow: the account leaves its state for ONBOARDING whatever the standards say.
    account = Account.objects.filter(state=State.LEAD).order_by("id").first() or Account.objects.order_by("id").first()
    account.opportunities.create(external_id="W-tomorrow", opened_on=D - dt.timedelta(days=30), closed_on=D1,
                                 status="won", contract_end=D1 + dt.timedelta(days=365))
    Lead.objects.filter(account=account).delete()
    Touch.objects.filter(account=account).delete()
    result = assert_contract(with_requirement("ONBOARDING", "human", window_days=3))
    assert result["proposed"]["compliance_by_state"]["ONBOARDING"]["accounts"] >= 1


def test_a_proposal_equal_to_the_saved_standards_changes_nothing(first_night):
    result = preview_standards(proposal={"ACTIVE": saved()["ACTIVE"]})
    assert result["changed_states"] == []
    assert result["current"] == result["proposed"]


def test_the_preview_writes_nothing(first_night, django_assert_max_num_queries):
    before = night_outcome(D)
    with django_assert_max_num_queries(40):
        preview_standards(proposal=with_requirement("ACTIVE", "human", window_days=7))
    assert night_outcome(D) == before


# --- property: random small data, random proposals ---------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from engine.models import CoverageRow, PendingAccount, RecomputeRun  # noqa: E402
from segments.models import StateTransition  # noqa: E402
from tests.engine.test_property import D0, _store, account as account_strategy  # noqa: E402

ROLES = [Role.SALES, Role.CSM, Role.INSIDE_SALES, Role.MARKETING, Role.EXECUTIVE]
requirement = st.fixed_dictionaries({
    "kind": st.sampled_from(["human", "digital"]), "min_count": st.integers(1, 3),
    "window_days": st.sampled_from([1, 7, 30, 90, 365]), "responsible_role": st.sampled_from(ROLES),
    "performer_roles": st.lists(st.sampled_from(ROLES), max_size=2, unique=True),
})
proposal_strategy = st.dictionaries(
    st.sampled_from([State.ONBOARDING, State.ACTIVE, State.NEGOTIATION, State.CHURNED, State.HOT_LEAD,
                     State.LEAD, State.TARGET_NO_LEAD, State.LOYAL]),
    st.lists(requirement, max_size=3).map(lambda rs: [{"code": f"r{i}", **r} for i, r in enumerate(rs)]),
    min_size=1, max_size=3)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(accounts=st.lists(account_strategy, min_size=1, max_size=8), proposal=proposal_strategy,
       owners=st.lists(st.sampled_from([None, "p-sales", "p-csm", "p-mkt"]), min_size=8, max_size=8),
       step=st.sampled_from([1, 7]))
def test_property_the_preview_is_the_next_night(accounts, proposal, owners, step):
    from tests.factories import UserFactory

    for model in (Alert, CoverageRow, StateTransition, RecomputeRun, PendingAccount, Account):
        model.objects.all().delete()
    nights.seed_configuration()
    people = {name: UserFactory(username=name) for name in ("p-sales", "p-csm", "p-mkt")}
    stored = _store(accounts)
    for account, owner in zip(stored, owners):
        if owner:
            user = people[owner]
            Account.objects.filter(pk=account.pk).update(owner_sales=user, owner_csm=user, owner_marketing=user)
    # A night, a day of change (one more touch on the first account), then the what-if for the next night.
    recompute_all(as_of=D0)
    Touch.objects.create(account=stored[0], external_id="P-next", kind="human", performer_role=Role.SALES,
                         occurred_on=D0 + dt.timedelta(days=step),
                         occurred_at=dt.datetime.combine(D0 + dt.timedelta(days=step), dt.time(12), tzinfo=dt.timezone.utc))
    as_of = D0 + dt.timedelta(days=1)
    result = preview_standards(proposal=proposal)
    assert result["as_of"] == as_of
    assert side_outcome(result["current"]) == next_night(None, as_of)
    assert side_outcome(result["proposed"]) == next_night(proposal, as_of)


# --- the partial ---------------------------------------------------------------------------------------------------


def test_the_partial_shows_labels_and_names_not_codes(first_night):
    from django.template.loader import render_to_string
    from django.utils import translation

    from core.models import User
    from standards.whatif import whatif_for_display

    User.objects.filter(username="night-sales").update(full_name="Sato Hanako")
    result = preview_standards(proposal=with_requirement("ACTIVE", "human", window_days=7, min_count=2))
    display = whatif_for_display(result)
    for language in ("en", "ja"):
        with translation.override(language):
            html = render_to_string("standards/partials/whatif.html", {"whatif": display})
            assert str(State.ACTIVE.label) in html and str(Role.SALES.label) in html, language
        assert "Sato Hanako" in html and "night-sales" not in html
        for code in ("ACTIVE", "under_covered", ">sales<", "inside_sales", "TARGET_NO_LEAD"):
            assert code not in html
    under = display["under"]
    assert f"<td class=\"num\">{under['current']}</td><td class=\"num\">{under['proposed']}</td>" in html
    owner = next(o for o in display["owners"] if o["username"] == "night-sales")
    assert owner["delta"] == (result["proposed"]["alerts_by_owner"].get("night-sales", 0)
                              - result["current"]["alerts_by_owner"].get("night-sales", 0))


def test_a_standard_saved_since_the_last_night(first_night):
    # The next night will be full (the configuration changed): the preview still answers what it leaves.
    standard_set_save(requirements_by_state=with_requirement("ACTIVE", "human", window_days=7), actor=None)
    result = assert_contract({**with_requirement("LEAD", "digital", min_count=1),
                              **with_requirement("ACTIVE", "human", window_days=45)})
    assert result["mode"] == "full"


def test_a_proposal_that_puts_back_the_standard_of_the_last_night(first_night):
    # ACTIVE saved since the night; the proposal puts the night's ACTIVE back (and changes LEAD): the accounts the
    # night re-evaluates in ACTIVE are counted under the night's standard on the proposed side, today's on the other.
    night_active = with_requirement("ACTIVE", "human")
    standard_set_save(requirements_by_state=with_requirement("ACTIVE", "human", window_days=7, min_count=2),
                      actor=None)
    result = assert_contract({**night_active, **with_requirement("LEAD", "digital", min_count=1)})
    assert result["changed_states"] == ["ACTIVE", "LEAD"]
