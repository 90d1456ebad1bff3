"""GET dashboards/outcomes/ and dashboards/workload/ (docs/rules.md §10): the figures of the two pages as JSON, read
from the kept rows of the latest night (the workload: of the chosen night) through the dashboards' one filter (reps:
their own and their team's accounts; managers, admins, executives: every account)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import EVERYONE, HasRole
from dashboards import outcomes as oc
from dashboards import workload as wl
from dashboards.api.refusals import refused_as_400, request_filters
from dashboards.filtering import TIERS
from dashboards.funnel import completed_night
from dashboards.outcome_snapshots import KEEP_DAYS

FILTER_PARAMETERS = [
    OpenApiParameter("team", OpenApiTypes.STR, required=False,
                     description="Only accounts owned by this team's people (a rep: their own team only)."),
    OpenApiParameter("owner", OpenApiTypes.INT, required=False,
                     description="Only accounts this person owns (a user id; a rep: themself or a teammate)."),
    OpenApiParameter("state", OpenApiTypes.STR, required=False, description="Only this state's figures."),
    OpenApiParameter("industry", OpenApiTypes.STR, required=False, description="Only accounts of this industry."),
    OpenApiParameter("region", OpenApiTypes.STR, required=False, description="Only accounts in this region."),
    OpenApiParameter("icp_tier", OpenApiTypes.STR, required=False, enum=list(TIERS),
                     description="Only accounts of this ICP tier (`tier` is read too)."),
]


class OutcomesView(APIView):
    """Accounts that met the standard against those that did not: NEGOTIATION win rate, customer churn, lead
    conversion, overall and by ICP tier, each side with a 95 % Wilson interval and a verdict (docs/rules.md §10)."""

    permission_classes = [HasRole]
    read_roles = EVERYONE

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, required=False,
                             description=f"First date, included (default: the {oc.DEFAULT_DAYS} days to `to`; at "
                                         f"most {KEEP_DAYS} days before the latest night)."),
            OpenApiParameter("to", OpenApiTypes.DATE, required=False,
                             description=f"Last date, included (default and at most: the latest night; a period of "
                                         f"at most {oc.MAX_DAYS} days)."),
            *FILTER_PARAMETERS,
        ],
        responses=dict,
        description="`as_of`: the night the figures are as of (null before the first night: no cohorts). "
                    "`cohorts` (only the one holding `state` when it is given): `negotiation` (rate = won ÷ decided "
                    "entries), `customers` (rate = churned ÷ customers on the first day), `leads` (rate = converted ÷ "
                    "leads on the first day); each with `overall` and `by_tier` (A, B, C, none), each of those with "
                    "`met` and `not_met` (`accounts`, `hits`, `rate`, `low`, `high`: the 95 % Wilson interval, null "
                    "without accounts), `open` (negotiations not decided yet) and `verdict`: `too_few` (fewer than "
                    "`min_sample` accounts on a side), `no_difference` (the intervals overlap), `met_better` or "
                    "`met_worse`. 400 naming the field on a bad date, a reversed, too long or too early period, an "
                    "unknown tier or state, or a team or owner outside the reader's scope.",
    )
    def get(self, request):
        with refused_as_400():
            return Response(oc.outcomes_payload(request_filters(request)))


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
            OpenApiParameter("as_of", OpenApiTypes.DATE, required=False,
                             description="A completed night (default: the latest)."),
            *FILTER_PARAMETERS,
        ],
        responses=dict,
        description="`as_of`: the night (null before the first). `by_role`: role, accounts, touches (asked for in "
                    "`horizon_days`), people (active), capacity (people × `per_person_capacity`), "
                    "touches_per_person, over_capacity. `by_owner`: role, owner (user id, null: no owner), name, "
                    "team, accounts, touches, over_capacity (more than one person's capacity, or no active owner). "
                    "400 naming the field when `per_day`, `as_of` or a filter cannot be read or lies outside the "
                    "reader's scope.",
    )
    def get(self, request):
        params = request.query_params
        with refused_as_400():
            f = request_filters(request)
            per_day = wl.per_day_filter(params.get("per_day"))
            night = completed_night(f.as_of)
        return Response(wl.workload_payload(f, night=night, per_day=per_day))
