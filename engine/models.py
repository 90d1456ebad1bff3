from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.choices import Role, State, TouchKind


class CoverageStatus(models.TextChoices):
    COVERED = "covered", _("Covered")
    DUE_SOON = "due_soon", _("Due soon")
    GRACE = "grace", _("Grace")
    UNDER_COVERED = "under_covered", _("Under-covered")


class CoverageRow(models.Model):
    """One (account, requirement of its current state) as of the latest recompute (docs/rules.md §4)."""

    # Looked up by the (account, requirement) unique index: a second index on the account alone only cost every
    # insert and every update the night could not make in place.
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="coverage_rows",
                                db_index=False)
    state = models.CharField(max_length=20, choices=State.choices)
    requirement = models.CharField(max_length=40)
    kind = models.CharField(max_length=10, choices=TouchKind.choices)
    min_count = models.PositiveIntegerField()
    window_days = models.PositiveIntegerField()
    counted = models.PositiveIntegerField()
    gap = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=CoverageStatus.choices)
    last_touch_on = models.DateField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True)
    responsible_role = models.CharField(max_length=20, choices=Role.choices)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The as-of date of the evaluation that last changed this row; rows whose figures did not move are not rewritten.
    as_of = models.DateField()

    class Meta:
        ordering = ["account_id", "requirement"]
        constraints = [
            models.UniqueConstraint(fields=["account", "requirement"], name="coverage_row_unique_per_requirement"),
        ]
        # No index on status: a night changes the status of most rows it rewrites, and an indexed status kept every
        # such update from being made in place (HOT). Status filters match a large share of rows anyway: the
        # coverage API's pages read them in cursor order, an account's rows by the unique index above, and the
        # coverage figures come from AccountEvaluation.


class Alert(models.Model):
    """An open (or resolved) under-coverage item routed to a responsible role (docs/rules.md §5)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")

    class Resolution(models.TextChoices):
        COVERED = "covered", _("Covered")
        STATE_CHANGED = "state_changed", _("State changed")
        STANDARD_CHANGED = "standard_changed", _("Standard changed")

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="alerts")
    state = models.CharField(max_length=20, choices=State.choices)
    requirement = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_on = models.DateField()
    resolved_on = models.DateField(null=True, blank=True)
    resolution = models.CharField(max_length=20, choices=Resolution.choices, blank=True)
    # The as-of date of the run (or logged touch) that last opened the alert or changed its figures. An open alert
    # is, by definition, still under-covered as of the latest completed run, so no nightly write records "seen".
    changed_on = models.DateField()
    responsible_role = models.CharField(max_length=20, choices=Role.choices)
    # Looked up by alert_assignee_status_idx, which starts with it (no index of its own to write on every update).
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="alerts", db_index=False)
    gap = models.PositiveIntegerField()
    counted = models.PositiveIntegerField(default=0)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    # Not indexed: only shown with its alert, never looked up by (an index would be written by every alert the night
    # inserts or rewrites; deleting a user clears it with one scan).
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+", db_index=False)
    snoozed_until = models.DateField(null=True, blank=True)
    # Today's priority parts (engine.worklist), written by the pipeline with the alert: Today reads a page of a
    # person's or a role's alerts straight off an index instead of computing every alert's priority per request.
    state_weight = models.PositiveSmallIntegerField(default=99)
    fell_due_on = models.DateField(null=True, blank=True)
    icp_fit = models.PositiveSmallIntegerField(default=0)
    deal_amount = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["-opened_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "state", "requirement"], condition=models.Q(status="open"),
                name="alert_one_open_per_key",
                violation_error_message=_("An open alert already exists for this account, state and requirement."),
            ),
        ]
        indexes = [
            # Today: a rep's open alerts.
            models.Index(fields=["assignee", "status"], name="alert_assignee_status_idx"),
            # Today (queue toggle) and manager views: open alerts by role.
            models.Index(fields=["responsible_role", "status"], name="alert_role_status_idx"),
            # Today: a person's open alerts in priority order (engine.worklist.PRIORITY_KEYS), read page by page.
            models.Index(
                fields=["assignee", "state_weight", "fell_due_on", "-gap", "-icp_fit", "-deal_amount", "id"],
                condition=models.Q(status="open"), name="alert_today_priority_idx",
            ),
            # Today's queue toggle: a role's unassigned open alerts in the same order.
            models.Index(
                fields=["responsible_role", "state_weight", "fell_due_on", "-gap", "-icp_fit", "-deal_amount", "id"],
                condition=models.Q(status="open", assignee__isnull=True), name="alert_queue_priority_idx",
            ),
            # What changed overnight (dashboards.changes): the alerts a night opened, and those it resolved, for
            # everyone or for a few assignees, without reading the night's other alerts.
            models.Index(fields=["opened_on", "assignee", "id"], name="alert_opened_on_idx"),
            models.Index(fields=["resolved_on", "assignee", "id"], condition=models.Q(status="resolved"),
                         name="alert_resolved_on_idx"),
        ]


class RecomputeRun(models.Model):
    """One run of the nightly pipeline as of a date."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed")

    class Mode(models.TextChoices):
        FULL = "full", _("Every account")
        INCREMENTAL = "incremental", _("Changed and due accounts")

    as_of = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    # Full: every account is evaluated. Incremental (PostgreSQL, configuration unchanged since the latest completed
    # run): only accounts whose data changed (PendingAccount) or whose evaluation can change by now
    # (AccountEvaluation.due_on) are; every other account's evaluation is provably what it was.
    mode = models.CharField(max_length=12, choices=Mode.choices, default=Mode.FULL)
    config_fingerprint = models.CharField(max_length=64, blank=True)
    accounts_evaluated = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    chunk_size = models.PositiveIntegerField(default=5000)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    accounts = models.PositiveIntegerField(default=0)
    counts_by_state = models.JSONField(default=dict, blank=True)
    alerts_opened = models.PositiveIntegerField(default=0)
    alerts_resolved = models.PositiveIntegerField(default=0)
    transitions = models.PositiveIntegerField(default=0)
    handoffs_created = models.PositiveIntegerField(default=0)
    # Accounts whose evaluation raised: left as they were, each named by a RecomputeFailure; the run completes.
    failed_accounts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-as_of", "-id"]
        constraints = [
            # One run at a time per database: two runs planned together would both write the same transitions,
            # handoffs and alerts (engine.services.recompute_run_start says which run holds it).
            models.UniqueConstraint(fields=["status"], condition=models.Q(status="running"),
                                    name="engine_one_running_run",
                                    violation_error_message=_("Another recompute run is running.")),
        ]

    def __str__(self) -> str:
        return f"{self.as_of} ({self.status})"


class RecomputeChunk(models.Model):
    """A range of account ids of a run; done once, whatever the number of deliveries."""

    run = models.ForeignKey(RecomputeRun, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    first_account_id = models.BigIntegerField()
    last_account_id = models.BigIntegerField()
    # Incremental runs: the accounts of the range due or changed as the run started (engine.services._chunk_plan).
    planned_account_ids = models.JSONField(default=list, blank=True)
    done = models.BooleanField(default=False)
    finished_at = models.DateTimeField(null=True, blank=True)
    stats = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["run_id", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="chunk_index_unique_in_run")]


class RecomputeFailure(models.Model):
    """An account whose evaluation raised during a run (a value the engine cannot compute or a column cannot hold):
    left as it was that night while the rest of the night went on, and marked changed so the next night tries
    again (engine.services.recompute_chunk). The runs page lists them (engine.views.RunDetailView)."""

    run = models.ForeignKey(RecomputeRun, on_delete=models.CASCADE, related_name="failures", db_index=False)
    # No foreign key (as PendingAccount): the record of a night outlives an account deleted since.
    account_id = models.BigIntegerField()
    external_id = models.CharField(max_length=100, blank=True)
    error = models.TextField()

    class Meta:
        ordering = ["run_id", "account_id"]
        constraints = [
            # Also the index of a run's failures, read by the run's page in this order.
            models.UniqueConstraint(fields=["run", "account_id"], name="recompute_failure_once_per_run"),
        ]

    def __str__(self) -> str:
        return f"{self.external_id or self.account_id}: {self.error[:80]}"


class AccountEvaluation(models.Model):
    """An account's latest evaluation in brief, written by the pipeline with the account in the same transaction.

    `due_on`: the first date after that evaluation on which it can change without new data
    (engine.domain.next_change_on); empty when only new data can change it — incremental nights read it.
    `state`, `coverage` and `last_touch_on`: what the coverage figures (docs/rules.md §9) count, in one narrow row
    per account, so the figures are one scan of this table instead of accounts, coverage rows and touches.
    """

    class Coverage(models.TextChoices):
        NONE = "", _("No requirement")
        COMPLIANT = "compliant", _("Compliant")
        GRACE = "grace", _("Grace")
        UNDER_COVERED = "under_covered", _("Under-covered")

    account = models.OneToOneField("accounts.Account", primary_key=True, on_delete=models.CASCADE,
                                   related_name="+")
    due_on = models.DateField(null=True, blank=True)
    state = models.CharField(max_length=20, choices=State.choices)
    coverage = models.CharField(max_length=20, choices=Coverage.choices, blank=True)
    # The latest touch of any kind dated on or before the evaluation's date.
    last_touch_on = models.DateField(null=True, blank=True)
    # Made by a logged touch (engine.services.recompute_accounts) as of its day, after the night; a night that
    # evaluates the account again clears it. Only such an evaluation can have a latest touch after the latest
    # run's date, so the coverage figures find those few by the partial index below, not by a scan of every row.
    # The nightly updates leave it false, as it was: they stay in place (HOT).
    after_night = models.BooleanField(default=False, db_default=False)

    class Meta:
        indexes = [
            models.Index(fields=["account"], condition=models.Q(after_night=True), name="evaluation_after_night_idx"),
        ]

    # No index on due_on: a night moves the due date of nearly every account it evaluates, and an indexed due_on made
    # each of those updates write two index entries (and, after a checkpoint, a full image of each index page it
    # touched) instead of rewriting the row in place (HOT; the table keeps room for it, migration engine/0007).
    # The accounts due by a run's date are read once per run, as it starts: one scan of this narrow table.


class EvaluationTally(models.Model):
    """How many accounts' evaluations have each state, coverage class and latest touch: what the coverage figures
    count (docs/rules.md §9), in a few thousand rows instead of a scan of one row per account.

    Kept on PostgreSQL by triggers on AccountEvaluation (migration engine/0010), with its changes in
    EvaluationTallyChange until a run's last step folds them in: how, and who reads it, is engine.tallies.
    """

    state = models.CharField(max_length=20)
    coverage = models.CharField(max_length=20, blank=True)
    last_touch_on = models.DateField(null=True, blank=True)
    accounts = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["state", "coverage", "last_touch_on"], nulls_distinct=False,
                                               name="evaluation_tally_key")]


class EvaluationTallyChange(models.Model):
    """A statement's net change to EvaluationTally (accounts added, negative when removed), until folded in."""

    state = models.CharField(max_length=20)
    coverage = models.CharField(max_length=20, blank=True)
    last_touch_on = models.DateField(null=True, blank=True)
    accounts = models.IntegerField()


class OpenAlertTally(models.Model):
    """How many open alerts each responsible role and assignee has: the coverage dashboard's counts by role and by
    person, in a few rows instead of a count over every open alert (130 ms and 82 ms at 1M accounts).

    Kept as EvaluationTally is (engine.tallies), by triggers on Alert (migration engine/0014) with its changes in
    OpenAlertTallyChange. No foreign key to the assignee: a count of a deleted user's alerts moves to no one with
    them (the alerts' assignee is set to null, an update the triggers see).
    """

    responsible_role = models.CharField(max_length=20)
    assignee_id = models.BigIntegerField(null=True, blank=True)
    alerts = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["responsible_role", "assignee_id"], nulls_distinct=False,
                                               name="open_alert_tally_key")]


class OpenAlertTallyChange(models.Model):
    """A statement's net change to OpenAlertTally (open alerts added, negative when removed), until folded in."""

    responsible_role = models.CharField(max_length=20)
    assignee_id = models.BigIntegerField(null=True, blank=True)
    alerts = models.IntegerField()


class PendingAccount(models.Model):
    """An account whose data changed since its latest evaluation (touches, deals, leads or its own columns).

    On PostgreSQL, triggers (migration engine/0005) add rows in the writing transaction whatever wrote — an import,
    a page, the API, the shell; the pipeline removes an account's row as the first step of evaluating it, so a
    change committed while it runs is seen by the next run. No foreign key: a row of a deleted account is
    harmless and removed by the next run over its range.
    """

    account_id = models.BigIntegerField(primary_key=True)
