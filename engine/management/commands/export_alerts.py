from core.management.export import ExportCommand
from engine.selectors import ALERT_COLUMNS, alert_export_rows


class Command(ExportCommand):
    help = "One row per coverage alert, open and resolved."
    header = ALERT_COLUMNS
    noun = "alerts"

    def rows(self):
        return alert_export_rows()
