from accounts.selectors import ACCOUNT_EXPORT_HEADER, account_export_rows
from core.management.export import ExportCommand


class Command(ExportCommand):
    help = "One row per account: every column of the accounts import file, then state, state_since, icp_fit, icp_profile, icp_tier."
    header = ACCOUNT_EXPORT_HEADER
    noun = "accounts"

    def rows(self):
        return account_export_rows()
