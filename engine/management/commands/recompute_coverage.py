import argparse
import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from core.timeutil import business_today
from engine.services import DEFAULT_CHUNK_SIZE, recompute_all

FAILURES_LISTED = 10


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from exc


class Command(BaseCommand):
    help = "Run the nightly pipeline now, to completion: ICP fit, states, handoffs, coverage, alerts, snapshot."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=_date, help="evaluation date (default: today's business date)")
        parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE)
        parser.add_argument("--full", action="store_true",
                            help="evaluate every account, not only those whose data changed or whose figures are due")

    def handle(self, *args, as_of=None, chunk_size=DEFAULT_CHUNK_SIZE, full=False, **options):
        as_of = as_of or business_today()
        try:
            run = recompute_all(as_of=as_of, chunk_size=chunk_size, full=full)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages), returncode=1) from exc
        states = " ".join(f"{k}={v}" for k, v in sorted(run.counts_by_state.items()))
        self.stdout.write(
            f"as_of={run.as_of} mode={run.mode} accounts={run.accounts} evaluated={run.accounts_evaluated} "
            f"transitions={run.transitions} "
            f"handoffs={run.handoffs_created} alerts_opened={run.alerts_opened} "
            f"alerts_resolved={run.alerts_resolved} {states}".rstrip()
        )
        if run.failed_accounts:
            # The night completed (exit 0) without these accounts: they stay as they were and are tried again the
            # next night; the runs page (/engine/runs/<id>/) lists them all.
            self.stdout.write(self.style.WARNING(
                f"Run #{run.id} completed with {run.failed_accounts} failed accounts (left as they were; "
                f"the next night tries them again). The first {min(run.failed_accounts, FAILURES_LISTED)}:"))
            for failure in run.failures.order_by("account_id")[:FAILURES_LISTED]:
                self.stdout.write(f"  account {failure.account_id} ({failure.external_id}): {failure.error}")
