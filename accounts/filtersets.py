"""One FilterSet for accounts, shared by the accounts page, its CSV export and the API.

It takes every filter a dashboard figure drills down with (dashboards.filtering.accounts_link), so the list shows
exactly the accounts a figure counts:
- `state`, `industry`, `region`, `icp_tier`: the account's own attributes (as the breadth snapshots group them);
- `target`: not OUT_OF_SCOPE and evaluated at least once (docs/rules.md §9's target accounts);
- `coverage`: the account's coverage class (docs/rules.md §9: compliant, grace, under_covered), as its latest
  evaluation left it;
- `touched_within=N`: a touch of any kind within the last N days (docs/rules.md §1) as of the latest completed night
  (the date the figures are as of);
- `owner` (any owner column) and `team` (the team of any owner);
- `responsible_role`: accounts with requirements of that role. With it, `owner` and `team` are those of that
  role's requirements (their assignee, as the depth snapshots group them) and `coverage` is the class of that
  role's requirements alone (under_covered: one of them is; grace: one is in grace, none under-covered; compliant:
  the rest).

A coverage or role drill-down first reads the ids of the accounts that can match from the matching side (the
evaluations, or that role's coverage rows), capped: when they are few, the list is those accounts sorted by name,
instead of a walk of the name index that probes each account and reads the whole table when none matches
(docs/benchmarks.md, "Accounts list drill-downs").
"""

from __future__ import annotations

import django_filters
import datetime as dt

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from core.api.filters import IdChoiceFilter, IdFilter, StrictBooleanFilter
from core.choices import Role, State
from core.models import User
from core.timeutil import business_today
from engine.models import AccountEvaluation, Alert, CoverageRow, CoverageStatus, RecomputeRun
from contacts.models import Touch
from segments.models import StateTransition

from .models import Account, Lead, Opportunity

OWNER_COLUMNS = ("owner_csm", "owner_sales", "owner_inside_sales", "owner_marketing", "owner_executive")
TIERS = (("A", "A"), ("B", "B"), ("C", "C"))
COVERAGE_CLASSES = (("compliant", _("Compliant")), ("grace", _("Grace")), ("under_covered", _("Under-covered")))
MAX_TOUCH_DAYS = 3660  # ten years: further back than any window
# At most this many candidate accounts are read by id and sorted by name; with more, at least one account in
# (accounts / SPARSE_MATCHES) is a candidate and the name-ordered walk finds a page quickly.
SPARSE_MATCHES = 10_000


class AccountFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    state = django_filters.ChoiceFilter(choices=State.choices, label=_("State"))
    status = django_filters.ChoiceFilter(choices=CoverageStatus.choices, method="filter_status", label=_("Coverage status"))
    # A user id, matched against every owner column.
    owner = IdChoiceFilter(queryset=User.objects.filter(is_active=True).order_by("username"), method="filter_owner",
                           label=_("Owner"))
    # The role that leads the account since its last accepted handoff (docs/rules.md §8).
    lead_role = django_filters.ChoiceFilter(choices=Role.choices, label=_("Lead role"))
    icp_tier = django_filters.ChoiceFilter(choices=TIERS, label=_("ICP tier"))
    industry = django_filters.CharFilter(field_name="industry", lookup_expr="iexact", label=_("Industry"))
    region = django_filters.CharFilter(method="filter_region", label=_("Region"))
    prefecture = django_filters.CharFilter(field_name="prefecture", lookup_expr="exact", label=_("Prefecture"))
    under_covered = StrictBooleanFilter(method="filter_under_covered", label=_("Under-covered"))
    # The funnel's drill-down (dashboards.funnel): accounts that moved from a state, to a state, or both, by a
    # transition (not a first classification) dated in [moved_after, moved_before], both included.
    moved_from = django_filters.ChoiceFilter(choices=State.choices, method="filter_moved", label=_("Moved from"))
    moved_to = django_filters.ChoiceFilter(choices=State.choices, method="filter_moved", label=_("Moved to"))
    moved_after = django_filters.DateFilter(method="filter_moved", label=_("Moved on or after"))
    moved_before = django_filters.DateFilter(method="filter_moved", label=_("Moved on or before"))
    # The drill-downs from the dashboards (module docstring); owner, team and coverage read responsible_role.
    team = django_filters.CharFilter(method="filter_noop", max_length=100, label=_("Team"))
    responsible_role = django_filters.ChoiceFilter(choices=Role.choices, method="filter_noop",
                                                   label=_("Responsible role"))
    coverage = django_filters.ChoiceFilter(choices=COVERAGE_CLASSES, method="filter_noop", label=_("Coverage class"))
    touched_within = django_filters.NumberFilter(method="filter_touched_within", min_value=1,
                                                 max_value=MAX_TOUCH_DAYS, label=_("Touched within (days)"))
    target = StrictBooleanFilter(method="filter_target", label=_("Target account"))

    class Meta:
        model = Account
        fields = ["q", "state", "status", "owner", "lead_role", "icp_tier", "industry", "region", "prefecture",
                  "under_covered", "team", "responsible_role", "coverage", "touched_within", "target"]

    def filter_queryset(self, queryset):
        """The declared filters, then owner, team and coverage together, as responsible_role says."""
        data = self.form.cleaned_data
        queryset = super().filter_queryset(queryset)
        return people_and_coverage(queryset, role=data.get("responsible_role") or "", owner=data.get("owner"),
                                   team=(data.get("team") or "").strip(), coverage=data.get("coverage") or "",
                                   state=data.get("state") or "")

    def filter_noop(self, queryset, name, value):
        return queryset  # read together in filter_queryset

    def filter_touched_within(self, queryset, name, value):
        if value is None:
            return queryset
        day = latest_night() or business_today()
        start = day - dt.timedelta(days=int(value) - 1)
        # The latest touch up to the night; an evaluation made by a touch logged after the night has a later latest
        # touch, and is looked up in the touches up to the night (as the figures do, engine.tallies).
        later = Exists(Touch.objects.filter(account_id=OuterRef("account_id"), occurred_on__range=(start, day)))
        touched = AccountEvaluation.objects.filter(
            Q(last_touch_on__range=(start, day)) | Q(last_touch_on__gt=day) & later, account_id=OuterRef("pk"))
        return queryset.filter(Exists(touched))

    def filter_target(self, queryset, name, value):
        if value is None:
            return queryset
        target = ~Q(state=State.OUT_OF_SCOPE) & ~Q(state="")
        return queryset.filter(target) if value else queryset.exclude(target)

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(external_id=value) | Q(corporate_number=value))

    def filter_status(self, queryset, name, value):
        return queryset.filter(Exists(CoverageRow.objects.filter(account_id=OuterRef("pk"), status=value)))

    def filter_owner(self, queryset, name, value):
        return queryset  # read together in filter_queryset

    def filter_region(self, queryset, name, value):
        value = value.strip()
        # Regions are a JSON list; matching the quoted element works on PostgreSQL and SQLite alike.
        return queryset.filter(regions__icontains=f'"{value}"') if value else queryset

    def filter_under_covered(self, queryset, name, value):
        open_alerts = Alert.objects.filter(account_id=OuterRef("pk"), status=Alert.Status.OPEN)
        if value is None:
            return queryset
        return queryset.filter(Exists(open_alerts)) if value else queryset.exclude(Exists(open_alerts))

    MOVED = ("moved_from", "moved_to", "moved_after", "moved_before")

    def filter_moved(self, queryset, name, value):
        """The four moved_* values together, applied once (by the first given). The accounts come from the period's
        transitions (transition_asof_states_idx), not from a probe per account: a rare move stays quick."""
        data = self.form.cleaned_data
        given = [key for key in self.MOVED if data.get(key) not in (None, "")]
        if name != given[0]:
            return queryset
        moves = StateTransition.objects.exclude(from_state="")
        for key, lookup in zip(self.MOVED, ("from_state", "to_state", "as_of__gte", "as_of__lte")):
            if key in given:
                moves = moves.filter(**{lookup: data[key]})
        return queryset.filter(id__in=moves.values("account_id"))


def latest_night() -> dt.date | None:
    return (RecomputeRun.objects.filter(status=RecomputeRun.Status.COMPLETED).order_by("-as_of")
            .values_list("as_of", flat=True).first())


def _owned_by(people) -> Q:
    """Any owner column among `people` (a user id, or a query of user ids)."""
    lookup = "in" if not isinstance(people, int) else "exact"
    condition = Q()
    for column in OWNER_COLUMNS:
        condition |= Q(**{f"{column}__{lookup}": people})
    return condition


def _role_coverage(rows, coverage: str):
    """Accounts whose `rows` (one role's requirements) are in the class `coverage` (module docstring)."""
    def has(status: str) -> Exists:
        return Exists(rows.filter(status=status))

    if coverage == "under_covered":
        return has("under_covered"), None
    if coverage == "grace":
        return has("grace"), has("under_covered")
    return Exists(rows), has("under_covered") | has("grace")


def people_and_coverage(queryset, *, role: str, owner, team: str, coverage: str, state: str = ""):
    """Owner, team and coverage class: of the account (any owner column; its evaluation's class), or with `role`,
    of that role's requirements (their assignee; their statuses). `state` (filtered by the caller) narrows the
    candidates read from the matching side."""
    owner_id = getattr(owner, "pk", owner)
    team_ids = User.objects.filter(team=team).values("id") if team else None
    same_state = {"state": state} if state else {}
    if not role:
        if owner_id is not None:
            queryset = queryset.filter(_owned_by(owner_id))
        if team_ids is not None:
            queryset = queryset.filter(_owned_by(team_ids))
        if coverage:
            queryset = queryset.filter(Exists(AccountEvaluation.objects.filter(account_id=OuterRef("pk"),
                                                                               coverage=coverage)))
            queryset = _among_few(queryset, AccountEvaluation.objects.filter(coverage=coverage, **same_state))
        return queryset
    rows = CoverageRow.objects.filter(responsible_role=role)
    if owner_id is not None:
        rows = rows.filter(assignee_id=owner_id)
    if team_ids is not None:
        rows = rows.filter(assignee_id__in=team_ids)
    if not coverage:
        queryset = queryset.filter(Exists(rows.filter(account_id=OuterRef("pk"))))
    else:
        having, without = _role_coverage(rows.filter(account_id=OuterRef("pk")), coverage)
        queryset = queryset.filter(having)
        if without is not None:
            queryset = queryset.exclude(without)
    # Under-covered or grace needs a row of that status; compliant, any row of the role.
    candidates = rows.filter(status=coverage) if coverage in ("under_covered", "grace") else rows
    return _among_few(queryset, candidates.filter(**same_state))


def _among_few(queryset, candidates):
    """`queryset` limited to the accounts of `candidates` (rows with an account_id, a superset of the matches) when
    those are at most SPARSE_MATCHES: their ids are read first (one scan of the matching side, stopped as soon as
    there are more), so the page is those accounts sorted by name whatever the planner estimates. The evaluation and
    the coverage rows carry their account's state: the pipeline writes them together."""
    ids = list(candidates.order_by().values_list("account_id", flat=True)[: SPARSE_MATCHES + 1])
    if len(ids) > SPARSE_MATCHES:
        return queryset
    return queryset.filter(id__in=sorted(set(ids)))


class LeadFilterSet(django_filters.FilterSet):
    account = IdFilter(field_name="account_id")

    class Meta:
        model = Lead
        fields = ["account", "status"]


class OpportunityFilterSet(django_filters.FilterSet):
    account = IdFilter(field_name="account_id")
    owner = IdFilter(field_name="owner_id")

    class Meta:
        model = Opportunity
        fields = ["account", "status", "owner"]
