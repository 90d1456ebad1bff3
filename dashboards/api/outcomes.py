"""GET dashboards/outcomes/ and dashboards/workload/ (docs/rules.md §10): the figures of the two pages as JSON, in
the reader's scope (reps: their team's accounts; managers, admins, executives: every account)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import EVERYONE, HasRole
from dashboards import outcomes as oc
from dashboards import workload as wl


class OutcomesView(APIView):
    """Accounts that met the standard against those that did not: NEGOTIATION win rate, customer churn, lead
    conversion, overall and by ICP tier, each side with a 95 % Wilson interval and a verdict (docs/rules.md §10)."""

    permission_classes = [HasRole]
    read_roles = EVERYONE

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, required=False,
                             description=f"First date, included (default: the {oc.DEFAULT_DAYS} days to `to`)."),
            OpenApiParameter("to", OpenApiTypes.DATE, required=False,
                             description=f"Last date, included (default: today; at most {oc.MAX_DAYS} days)."),
            OpenApiParameter("tier", OpenApiTypes.STR, required=False, enum=list(oc.TIERS),
                             description="Only accounts of this ICP tier (`none`: without a tier)."),
        ],
        responses=dict,
        description="`cohorts`: `negotiation` (rate = won ÷ decided entries), `customers` (rate = churned ÷ customers "
                    "on the first day), `leads` (rate = converted ÷ leads on the first day); each with `overall` and "
                    "`by_tier` (A, B, C, none), each of those with `met` and `not_met` (`accounts`, `hits`, `rate`, "
                    "`low`, `high`: the 95 % Wilson interval, null without accounts), `open` (negotiations not "
                    "decided yet) and `verdict`: `too_few` (fewer than `min_sample` accounts on a side), "
                    "`no_difference` (the intervals overlap), `met_better` or `met_worse`. 400 naming the field on a "
                    "bad date, a reversed or too long period, or an unknown tier.",
    )
    def get(self, request):
        try:
            start, end = oc.period(request.query_params.get("from"), request.query_params.get("to"))
            tier = oc.tier_filter(request.query_params.get("tier"))
        except oc.OutcomeError as refused:
            raise ValidationError({refused.field: [refused.message]}) from None
        return Response(oc.outcomes_payload(start=start, end=end, people=oc.scope_people(request.user), tier=tier))


class WorkloadView(APIView):
    """The touches the standard asks for in the next 30 days per responsible role and per owner, against the active
    people of each role and their capacity (docs/rules.md §10)."""

    permission_classes = [HasRole]
    read_roles = EVERYONE

    @extend_schema(
        parameters=[
            OpenApiParameter("per_day", OpenApiTypes.INT, required=False,
                             description=f"Touches one person makes per business day (default {wl.PER_DAY_DEFAULT}, "
                                         f"1–{wl.PER_DAY_MAX})."),
            OpenApiParameter("team", OpenApiTypes.STR, required=False,
                             description="Only accounts owned by this team's people."),
            OpenApiParameter("owner", OpenApiTypes.STR, required=False,
                             description="Only accounts owned by this person (a username)."),
        ],
        responses=dict,
        description="`by_role`: role, accounts, touches (asked for in `horizon_days`), people (active), capacity "
                    "(people × `per_person_capacity`), touches_per_person, over_capacity. `by_owner`: role, owner "
                    "(user id, null: no owner), name, team, accounts, touches, over_capacity (more than one person's "
                    "capacity, or no active owner). 400 naming `per_day` or `owner` when they cannot be read.",
    )
    def get(self, request):
        params = request.query_params
        try:
            per_day = wl.per_day_filter(params.get("per_day"))
            people = wl.people_filter(request.user, owner=params.get("owner", "").strip(),
                                      team=params.get("team", "").strip())
        except wl.WorkloadError as refused:
            raise ValidationError({refused.field: [refused.message]}) from None
        return Response(wl.workload_payload(per_day=per_day, people=people))
