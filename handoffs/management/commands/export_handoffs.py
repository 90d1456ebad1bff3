from core.management.export import ExportCommand
from handoffs.selectors import HANDOFF_COLUMNS, handoff_export_rows


class Command(ExportCommand):
    help = "One row per handoff."
    header = HANDOFF_COLUMNS
    noun = "handoffs"

    def rows(self):
        return handoff_export_rows()
