from core.management.export import ExportCommand
from engine.selectors import COVERAGE_COLUMNS, coverage_export_rows


class Command(ExportCommand):
    help = "One row per (account, requirement of its current state) as of the latest recompute."
    header = COVERAGE_COLUMNS
    noun = "coverage rows"

    def rows(self):
        return coverage_export_rows()
