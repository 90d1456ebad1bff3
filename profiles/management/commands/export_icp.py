import json
import sys

from django.core.management.base import BaseCommand, CommandError

from profiles.models import IcpProfile
from profiles.selectors import profile_to_json


class Command(BaseCommand):
    help = "Write an ICP profile as the JSON import_icp reads."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--output", required=True)

    def handle(self, *args, name: str, output: str, **options):
        profile = IcpProfile.objects.select_related("current_version").filter(name=name).first()
        if profile is None:
            raise CommandError(f"no profile named {name!r}", returncode=1)
        text = json.dumps(profile_to_json(profile), ensure_ascii=False, indent=2)
        if output == "-":
            sys.stdout.write(text + "\n")
        else:
            with open(output, "w", encoding="utf-8") as f:
                f.write(text + "\n")
        self.stderr.write(f'exported profile="{name}"')
