"""Content mix against the plan, kept per night (docs/rules.md §4): written once, set-based, when a run completes
(`content_mix_snapshot_write`, from dashboards.funnel's night step), read from the kept rows (`content_mix_figures`).

Actual: the night's counting touches — a touch of an account in a state with requirements that counts for at least
one of them as of D (its kind, its performer role, dated within the requirement's last p days; §4), once however
many requirements it counts for — per (state, content stage, channel), and per owner as dashboards.funnel keeps
people (any owner column, the owner's team, the same flags).

Plan: each requirement's content stage and channel, weighted by the touches it asks for per day (n ÷ p), give the
planned share of each stage and channel; the state's content plan (its content stages and recommended channels) and
the requirements' stages and channels are what the plan expects. A stage or channel the plan expects with no
counting touch on the night is `missing`. Each night keeps its plan with its mix (ContentPlanSnapshot), so a past
night is compared with the plan it was counted against; a night kept before plans were kept falls back to the
standards as they are now, and says so (`ContentMixFigures.plan`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from accounts.models import Account
from contacts.models import Touch
from core.bulk import bulk_insert_rows, date_param, date_sql
from core.choices import Channel, ContentStage, State
from engine.models import AccountEvaluation
from standards.models import Standard
from standards.selectors import requirement_specs_by_state

from .filtering import DashboardFilters, FilterError
from .funnel import LIFECYCLE, OWNERS_AS, by_owner_sql, completed_night, narrow, room_to_group
from .models import ContentMixSnapshot, ContentPlanSnapshot

STAGES: tuple[str, ...] = (*ContentStage.values, "")  # "": a touch without a content stage
CHANNELS: tuple[str, ...] = (*Channel.values, "")


# --- writing, once per completed night ------------------------------------------------------------------------------

MIX_COLUMNS = ("as_of", "state", "content_stage", "channel", "owner_id", "team", "first_owner", "first_in_team",
               "touches")


def _mix_rows(as_of: dt.date) -> list[tuple]:
    """One statement: each account's requirements (one row per performer role) joined to its touches in their
    windows by touch_nightly_counting_idx, a touch counted once per account, stage and channel; then per owner as
    dashboards.funnel keeps people."""
    requirements = [(state, spec.kind, role, spec.window_start(as_of))
                    for state, specs in requirement_specs_by_state().items() for spec in specs
                    for role in (spec.performer_roles or (None,))]
    if not requirements:
        return []
    day = date_sql()
    values = ", ".join([f"(%s, %s, CAST(%s AS VARCHAR(20)), {day})"] * len(requirements))
    params = [value for state, kind, role, start in requirements for value in (state, kind, role, date_param(start))]
    counted = (f"SELECT e.account_id, e.state, t.content_stage, t.channel, COUNT(DISTINCT t.id) AS n "
               f"FROM {AccountEvaluation._meta.db_table} e JOIN req ON req.state = e.state "
               f"JOIN {Touch._meta.db_table} t ON t.account_id = e.account_id AND t.kind = req.kind "
               f"AND t.occurred_on >= req.window_start AND t.occurred_on <= {day} "
               f"AND (req.role IS NULL OR t.performer_role = req.role) GROUP BY 1, 2, 3, 4")
    inner = (f"SELECT x.state, x.content_stage, x.channel, {OWNERS_AS}, x.n "
             f"FROM ({counted}) x JOIN {Account._meta.db_table} a ON a.id = x.account_id")
    sql = by_owner_sql(inner, ("state", "content_stage", "channel"),
                       ctes=f"req(state, kind, role, window_start) AS (VALUES {values})")
    with connection.cursor() as cursor, room_to_group(cursor):
        cursor.execute(sql, [*params, date_param(as_of)])
        rows = cursor.fetchall()
    return [(as_of, state, stage or "", channel or "", owner, (team or "")[:100], bool(first), bool(in_team), n)
            for state, stage, channel, owner, team, first, in_team, n in rows]


PLAN_COLUMNS = ("as_of", "state", "stages", "channels", "stage_share", "channel_share")


def _plan_rows(as_of: dt.date) -> list[tuple]:
    """The night's plan, one row per state (every state, an empty plan without a standard: a night with rows kept
    its plan)."""
    plans = content_plans()
    return [(as_of, state, sorted(plan.stages), sorted(plan.channels), plan.stage_share, plan.channel_share)
            for state in sorted({*State.values, *plans}) for plan in (plans.get(state, Plan()),)]


def content_mix_snapshot_write(*, as_of: dt.date) -> int:
    """Keep the night's content mix and the plan it is compared with; a rerun for the same date replaces both.
    Returns the content mix rows kept."""
    with transaction.atomic():
        rows, plans = _mix_rows(as_of), _plan_rows(as_of)
        ContentMixSnapshot.objects.filter(as_of=as_of).delete()
        ContentPlanSnapshot.objects.filter(as_of=as_of).delete()
        bulk_insert_rows(ContentPlanSnapshot, PLAN_COLUMNS, plans)
        return bulk_insert_rows(ContentMixSnapshot, MIX_COLUMNS, rows)


# --- the plan -------------------------------------------------------------------------------------------------------

@dataclass
class Plan:
    """A state's content plan: what it expects, and each stage's and channel's planned share (None when no
    requirement names one)."""

    stages: set[str] = field(default_factory=set)
    channels: set[str] = field(default_factory=set)
    stage_share: dict[str, float] = field(default_factory=dict)
    channel_share: dict[str, float] = field(default_factory=dict)


def _shares(weights: dict[str, float]) -> dict[str, float]:
    total = sum(weights.values())
    return {key: round(w / total, 4) for key, w in weights.items()} if total else {}


def content_plans() -> dict[str, Plan]:
    """Every state's plan from the standards and their requirements (one query, prefetching: two)."""
    plans: dict[str, Plan] = {}
    for standard in Standard.objects.prefetch_related("requirements"):
        plan = plans.setdefault(standard.state, Plan())
        plan.stages.update(standard.content_stages or ())
        plan.channels.update(standard.channels or ())
        stage_weights: dict[str, float] = defaultdict(float)
        channel_weights: dict[str, float] = defaultdict(float)
        for r in standard.requirements.all():
            per_day = r.min_count / r.window_days
            if r.content_stage:
                plan.stages.add(r.content_stage)
                stage_weights[r.content_stage] += per_day
            if r.channel:
                plan.channels.add(r.channel)
                channel_weights[r.channel] += per_day
        plan.stage_share, plan.channel_share = _shares(stage_weights), _shares(channel_weights)
    return plans


def night_plans(night: dt.date) -> tuple[dict[str, Plan], bool]:
    """The plans the night kept, and True; for a night kept before plans were kept, today's plans and False."""
    kept = {state: Plan(set(stages), set(channels), stage_share, channel_share)
            for state, stages, channels, stage_share, channel_share in ContentPlanSnapshot.objects.filter(
                as_of=night).values_list("state", *PLAN_COLUMNS[2:])}
    return (kept, True) if kept else (content_plans(), False)


# --- reading --------------------------------------------------------------------------------------------------------

@dataclass
class ContentMixFigures:
    as_of: dt.date | None
    filters: DashboardFilters
    states: list[dict] = field(default_factory=list)
    plan: str | None = None  # "night": the plan the night kept; "current": the standards as they are now; None

    def as_json(self) -> dict:
        return {"as_of": self.as_of.isoformat() if self.as_of else None, "scope": self.filters.scope.name,
                "plan": self.plan, "states": self.states}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _lines(keys: tuple[str, ...], name: str, actual: dict[str, int], expected: set[str], planned: dict[str, float],
           total: int) -> list[dict]:
    """One line per stage (or channel) the plan expects or a touch carried: planned and actual share, missing."""
    return [{name: key, "in_plan": key in expected, "planned_share": planned.get(key),
             "touches": actual.get(key, 0), "share": _rate(actual.get(key, 0), total),
             "missing": key in expected and not actual.get(key)}
            for key in keys if key in expected or actual.get(key)]


def content_mix_figures(f: DashboardFilters) -> ContentMixFigures:
    """The night's counting touches per state by content stage and by channel against each state's plan that night
    (`night_plans`), for what `f` (state, team, owner) and its scope select. A state is shown when it has a plan or
    touches (the chosen state always).
    Raises FilterError for a night that did not complete."""
    for name in ("industry", "region", "icp_tier"):
        if getattr(f, name):
            raise FilterError({name: [_("The content mix is kept per state, team and owner: it takes no industry, "
                                        "region or ICP tier filter.")]})
    night = completed_night(f.as_of)
    figures = ContentMixFigures(as_of=night, filters=f)
    if night is None:
        return figures
    rows = narrow(ContentMixSnapshot.objects.filter(as_of=night), f, places=False)
    if f.state:
        rows = rows.filter(state=f.state)
    by_stage: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_channel: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for state, stage, channel, n in (rows.values_list("state", "content_stage", "channel")
                                     .annotate(n=Sum("touches")).order_by()):
        by_stage[state][stage] += n
        by_channel[state][channel] += n
    plans, kept = night_plans(night)
    figures.plan = "night" if kept else "current"
    states = {f.state} if f.state else set(by_stage) | {s for s, p in plans.items() if p.stages or p.channels}
    for state in sorted(states, key=lambda s: LIFECYCLE.get(s, 99)):
        plan, total = plans.get(state, Plan()), sum(by_stage[state].values())
        figures.states.append({
            "state": state, "touches": total,
            "stages": _lines(STAGES, "content_stage", by_stage[state], plan.stages, plan.stage_share, total),
            "channels": _lines(CHANNELS, "channel", by_channel[state], plan.channels, plan.channel_share, total),
        })
    return figures
