from django.core.management.base import BaseCommand

from core.management.commands.seed_demo import DEMO_PASSWORD, DEMO_USERS


class Command(BaseCommand):
    help = "Print the demo organisation's logins."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help="the port the console is served on")

    def handle(self, *args, port: int = 8000, **options):
        self.stdout.write(f"Coverage Console: http://127.0.0.1:{port}/login/")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, full_name, role, team, _language in DEMO_USERS:
            self.stdout.write(f"  {username:<11} {role:<13} {full_name}" + (f" ({team})" if team else ""))
