from django.core.management.base import BaseCommand

from core.demo_handoffs import pending_handoffs_by_user
from core.management.commands.seed_demo import DEMO_PASSWORD, DEMO_USERS


class Command(BaseCommand):
    help = "Print the demo organisation's logins (with the handoffs waiting in each receiver's inbox)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help="the port the console is served on")

    def handle(self, *args, port: int = 8000, **options):
        pending = pending_handoffs_by_user()
        self.stdout.write(f"Coverage Console: http://127.0.0.1:{port}/login/")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, full_name, role, team, _language in DEMO_USERS:
            line = f"  {username:<11} {role:<13} {full_name}" + (f" ({team})" if team else "")
            if pending.get(username):
                count = pending[username]
                line += f" — {count} pending handoff{'s' if count > 1 else ''} at /handoffs/"
            self.stdout.write(line)
