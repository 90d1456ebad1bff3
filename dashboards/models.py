from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DailySnapshot(models.Model):
    """Coverage figures as of one recompute date, kept for trends (docs/rules.md §9)."""

    as_of = models.DateField(unique=True)
    by_state = models.JSONField(default=dict)
    breadth = models.JSONField(default=dict)
    by_role = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-as_of"]


class KeptPeople(models.Model):
    """Snapshot rows kept per person: the account's owner (none: no owner) and the owner's team as the night found
    them."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", db_index=False)
    team = models.CharField(max_length=100, blank=True)

    class Meta:
        abstract = True


class KeptOwnersOnce(KeptPeople):
    """Rows kept per distinct owner with the flags that pick each account once (dashboards.funnel): `first_owner`
    its first owner's rows, `first_in_team` the rows of its first owner in each team."""

    first_owner = models.BooleanField(default=True)
    first_in_team = models.BooleanField(default=True)

    class Meta:
        abstract = True


class KeptPlaces(models.Model):
    """Rows kept per region with the account's industry and ICP tier; `first_region` marks the row of its first region
    (or of no region), so totals not split by region count each account once."""

    industry = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    icp_tier = models.CharField(max_length=1, blank=True)
    first_region = models.BooleanField(default=True)

    class Meta:
        abstract = True


class DepthSnapshot(KeptPeople):
    """Coverage depth as one completed night left it (dashboards.depth; docs/rules.md §4, §9): per (state, responsible
    role, owner, the owner's team), the accounts whose requirements of that role are all met (compliant), have one
    under-covered, or one in grace and none under-covered; the touches the requirements ask for, those done towards
    them, and the counting touches by kind. Written once per night, set-based; the depth page and API read only this."""

    as_of = models.DateField()
    state = models.CharField(max_length=20)
    responsible_role = models.CharField(max_length=20)
    accounts = models.IntegerField(default=0)
    compliant = models.IntegerField(default=0)
    under_covered = models.IntegerField(default=0)
    grace = models.IntegerField(default=0)
    touches_required = models.IntegerField(default=0)
    touches_done = models.IntegerField(default=0)  # counted touches up to each requirement's minimum
    human_touches = models.IntegerField(default=0)  # counting touches of human requirements
    digital_touches = models.IntegerField(default=0)  # counting touches of digital requirements

    class Meta:
        indexes = [
            # The depth page and API read one night's rows; a rerun deletes them by the same key.
            models.Index(fields=["as_of", "team"], name="depth_asof_team_idx"),
        ]


class BreadthSnapshot(KeptOwnersOnce, KeptPlaces):
    """Breadth and compliance per account attribute as one completed night left it (dashboards.depth; docs/rules.md
    §9): per (state, owner, the owner's team, industry, region, ICP tier) the accounts, their coverage class, and
    those touched within the last 30 and 90 days. People and places are kept as FunnelSnapshot keeps them
    (dashboards.funnel): an account is on one row per distinct owner (none: one row without owner) and per region;
    `first_owner`, `first_in_team` and `first_region` pick each account once for everyone, for a team and for totals
    not split by region. Nights kept before people were (migration 0006) have one row per place without owner."""

    as_of = models.DateField()
    state = models.CharField(max_length=20)
    accounts = models.IntegerField(default=0)
    compliant = models.IntegerField(default=0)
    under_covered = models.IntegerField(default=0)
    grace = models.IntegerField(default=0)
    touched_30d = models.IntegerField(default=0)
    touched_90d = models.IntegerField(default=0)

    class Meta:
        indexes = [
            # The depth page and API read one night's rows; a rerun deletes them by the same key.
            models.Index(fields=["as_of", "state"], name="breadth_asof_state_idx"),
        ]


class FunnelSnapshot(KeptOwnersOnce, KeptPlaces):
    """The funnel as one completed night left it (dashboards.funnel): accounts per state and per (owner, the owner's
    team, industry, region, ICP tier). An account is on one row per distinct owner (any owner column; none: one row
    without owner) and per region; the flags pick each account once — `first_owner` its first owner's rows (totals
    not narrowed to people), `first_in_team` the rows of its first owner in each team (a team's totals),
    `first_region` its first region's rows (totals not split by region)."""

    as_of = models.DateField()
    state = models.CharField(max_length=20)
    accounts = models.IntegerField(default=0)

    class Meta:
        indexes = [
            # The funnel page and API read one night's rows (then narrow them); a rerun deletes them by the same key.
            models.Index(fields=["as_of", "team"], name="funnel_asof_team_idx"),
        ]


class MovementSnapshot(KeptOwnersOnce, KeptPlaces):
    """State transitions (not initial classifications) per night, per (from state, to state) and the same people and
    account keys and flags as FunnelSnapshot (dashboards.funnel): the movement between two dates sums these rows."""

    as_of = models.DateField()
    from_state = models.CharField(max_length=20)
    to_state = models.CharField(max_length=20)
    moves = models.IntegerField(default=0)

    class Meta:
        indexes = [
            # The movement between two dates: a range of nights; a night's rewrite deletes its dates by the same key.
            models.Index(fields=["as_of", "from_state", "to_state"], name="movement_asof_states_idx"),
        ]


class ContentMixSnapshot(KeptOwnersOnce):
    """The counting touches of a night's windows (docs/rules.md §4) per (state, owner, the owner's team, content stage,
    channel), as one completed night left them (dashboards.content_mix); owners and flags as in FunnelSnapshot."""

    as_of = models.DateField()
    state = models.CharField(max_length=20)
    content_stage = models.CharField(max_length=20, blank=True)
    channel = models.CharField(max_length=30, blank=True)
    touches = models.IntegerField(default=0)

    class Meta:
        indexes = [
            # The content mix page and API read one night's rows; a rerun deletes them by the same key.
            models.Index(fields=["as_of", "state"], name="contentmix_asof_state_idx"),
        ]


class ContentPlanSnapshot(models.Model):
    """A state's content plan as the night that kept its content mix found the standards (dashboards.content_mix):
    the stages and channels it expects and each one's planned share, so a past night is compared with its own plan.
    One row per state (a state without a standard: an empty plan); a rerun replaces the night's rows."""

    as_of = models.DateField()
    state = models.CharField(max_length=20)
    stages = models.JSONField(default=list)
    channels = models.JSONField(default=list)
    stage_share = models.JSONField(default=dict)
    channel_share = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["as_of", "state"], name="contentplan_asof_state_uniq")]


class OutcomeSnapshot(KeptOwnersOnce, KeptPlaces):
    """Coverage against outcomes as the latest completed night knows them (dashboards.outcome_snapshots; docs/rules.md
    §10): dated facts per cohort (negotiation, customers, leads) that the outcomes page and API sum for any period in
    the kept window — entries into NEGOTIATION with their outcome and whether they met the standard; for customers and
    leads the stretches in the state family (now, started, ended, ended by the cohort's outcome) and the stretches of
    an open alert within them (now, started, ended, the first after a clear day). `day` is the fact's date, `since`
    the first cohort day it counts for, `clear` the first cohort day from which an ended stretch had no alert left.
    Accounts are kept per distinct owner and per region with the flags of FunnelSnapshot, under the attributes the
    night found. Each night replaces the rows of the nights before it."""

    as_of = models.DateField()
    cohort = models.CharField(max_length=12)
    kind = models.CharField(max_length=12)
    day = models.DateField(null=True, blank=True)
    since = models.DateField(null=True, blank=True)
    clear = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=4, blank=True)  # entries: hit | miss | open
    met = models.BooleanField(default=True)
    accounts = models.IntegerField(default=0)

    class Meta:
        indexes = [
            # The outcomes page and API read the night's undated rows and its facts dated from the period's first
            # day on; a night deletes the rows before it by as_of.
            models.Index(fields=["as_of", "day"], name="outcome_asof_day_idx"),
        ]


class WorkloadSnapshot(KeptPeople, KeptPlaces):
    """The touches the standard asks for in the 30 days after one completed night (dashboards.workload;
    docs/rules.md §10): per (state, responsible role, the account's owner in that role, the owner's team, industry,
    region, ICP tier) the accounts and the touches. An account with several regions is on one row per region;
    `first_region` marks its first. Written once per night, set-based; the workload page and API read only this."""

    as_of = models.DateField()
    state = models.CharField(max_length=20)
    responsible_role = models.CharField(max_length=20)
    accounts = models.IntegerField(default=0)
    touches = models.IntegerField(default=0)

    class Meta:
        indexes = [
            # The workload page and API read one night's rows; a rerun deletes them by the same key.
            models.Index(fields=["as_of", "responsible_role"], name="workload_asof_role_idx"),
        ]


class NightFigures(models.Model):
    """The job that keeps a completed night's dashboard figures (dashboards.night_figures): depth and breadth, the
    funnel, moves and content mix, the workload and the outcome facts. Recorded pending when the night completes
    and run after it commits, so the night's lock is not held while they are counted; the pages read the latest
    night whose figures are kept (`status` succeeded)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Being counted")
        SUCCEEDED = "succeeded", _("Kept")
        SUPERSEDED = "superseded", _("Skipped: a later night had started")
        FAILED = "failed", _("Failed")

    run = models.OneToOneField("engine.RecomputeRun", on_delete=models.CASCADE, related_name="figures")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("night's figures")
        verbose_name_plural = _("nights' figures")

    def __str__(self) -> str:
        return f"figures of run #{self.run_id} ({self.status})"
