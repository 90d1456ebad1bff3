from __future__ import annotations

from django.conf import settings
from django.db import models


class DailySnapshot(models.Model):
    """Coverage figures as of one recompute date, kept for trends (docs/rules.md §9)."""

    as_of = models.DateField(unique=True)
    by_state = models.JSONField(default=dict)
    breadth = models.JSONField(default=dict)
    by_role = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-as_of"]


class DepthSnapshot(models.Model):
    """Coverage depth as one completed night left it (dashboards.depth; docs/rules.md §4, §9): per (state, responsible
    role, owner, the owner's team), the accounts whose requirements of that role are all met (compliant), have one
    under-covered, or one in grace and none under-covered; the touches the requirements ask for, those done towards
    them, and the counting touches by kind. Written once per night, set-based; the depth page and API read only this."""

    as_of = models.DateField()
    state = models.CharField(max_length=20)
    responsible_role = models.CharField(max_length=20)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", db_index=False)
    team = models.CharField(max_length=100, blank=True)
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


class BreadthSnapshot(models.Model):
    """Breadth and compliance per account attribute as one completed night left it (dashboards.depth; docs/rules.md
    §9): per (state, industry, region, ICP tier) the accounts, their coverage class, and those touched within the
    last 30 and 90 days. An account with several regions is on one row per region; `first_region` marks the row of
    its first region (or of no region), so totals not split by region sum those rows and count each account once."""

    as_of = models.DateField()
    state = models.CharField(max_length=20)
    industry = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    icp_tier = models.CharField(max_length=1, blank=True)
    first_region = models.BooleanField(default=True)
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


class FunnelSnapshot(models.Model):
    """The funnel as one completed night left it (dashboards.funnel): accounts per state and per (owner, the owner's
    team, industry, region, ICP tier). An account is on one row per distinct owner (any owner column; none: one row
    without owner) and per region; the flags pick each account once — `first_owner` its first owner's rows (totals
    not narrowed to people), `first_in_team` the rows of its first owner in each team (a team's totals),
    `first_region` its first region's rows (totals not split by region)."""

    as_of = models.DateField()
    state = models.CharField(max_length=20)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", db_index=False)
    team = models.CharField(max_length=100, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    icp_tier = models.CharField(max_length=1, blank=True)
    first_owner = models.BooleanField(default=True)
    first_in_team = models.BooleanField(default=True)
    first_region = models.BooleanField(default=True)
    accounts = models.IntegerField(default=0)

    class Meta:
        indexes = [
            # The funnel page and API read one night's rows (then narrow them); a rerun deletes them by the same key.
            models.Index(fields=["as_of", "team"], name="funnel_asof_team_idx"),
        ]


class MovementSnapshot(models.Model):
    """State transitions (not initial classifications) per night, per (from state, to state) and the same people and
    account keys and flags as FunnelSnapshot (dashboards.funnel): the movement between two dates sums these rows."""

    as_of = models.DateField()
    from_state = models.CharField(max_length=20)
    to_state = models.CharField(max_length=20)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", db_index=False)
    team = models.CharField(max_length=100, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    icp_tier = models.CharField(max_length=1, blank=True)
    first_owner = models.BooleanField(default=True)
    first_in_team = models.BooleanField(default=True)
    first_region = models.BooleanField(default=True)
    moves = models.IntegerField(default=0)

    class Meta:
        indexes = [
            # The movement between two dates: a range of nights; a night's rewrite deletes its dates by the same key.
            models.Index(fields=["as_of", "from_state", "to_state"], name="movement_asof_states_idx"),
        ]


class ContentMixSnapshot(models.Model):
    """The counting touches of a night's windows (docs/rules.md §4) per (state, owner, the owner's team, content stage,
    channel), as one completed night left them (dashboards.content_mix); owners and flags as in FunnelSnapshot."""

    as_of = models.DateField()
    state = models.CharField(max_length=20)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", db_index=False)
    team = models.CharField(max_length=100, blank=True)
    content_stage = models.CharField(max_length=20, blank=True)
    channel = models.CharField(max_length=30, blank=True)
    first_owner = models.BooleanField(default=True)
    first_in_team = models.BooleanField(default=True)
    touches = models.IntegerField(default=0)

    class Meta:
        indexes = [
            # The content mix page and API read one night's rows; a rerun deletes them by the same key.
            models.Index(fields=["as_of", "state"], name="contentmix_asof_state_idx"),
        ]
