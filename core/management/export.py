"""The shape every export command shares: `--output FILE|-`, one summary line, exit 1 on failure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.core.management.base import BaseCommand, CommandError

from core.csvio import write_csv


class ExportCommand(BaseCommand):
    header: Sequence[str] = ()
    noun = "rows"

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True, help="file to write, or - for standard output")

    def rows(self) -> Iterable[Sequence]:
        raise NotImplementedError

    def handle(self, *args, output: str, **options):
        try:
            count = write_csv(self.rows(), self.header, output)
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc.strerror or exc}", returncode=1) from exc
        summary = f"exported={count} {self.noun}" + ("" if output == "-" else f" to {output}")
        (self.stderr if output == "-" else self.stdout).write(summary)
