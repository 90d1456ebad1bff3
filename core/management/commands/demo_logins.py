from django.core.management.base import BaseCommand

from core.management.commands.seed_demo import DEMO_PASSWORD, DEMO_USERS


class Command(BaseCommand):
    help = "Print the demo organisation's logins."

    def handle(self, *args, **options):
        self.stdout.write("Coverage Console: http://127.0.0.1:8000/login/")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, full_name, role, team, _language in DEMO_USERS:
            self.stdout.write(f"  {username:<11} {role:<13} {full_name}" + (f" ({team})" if team else ""))
