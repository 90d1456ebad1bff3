import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from profiles.services import profile_save_json


class Command(BaseCommand):
    help = "Create an ICP profile from JSON, or replace the one with the same name as a new version."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file: str, **options):
        path = Path(file)
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file", returncode=1) from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CommandError(f"{file}: not valid JSON ({exc})", returncode=1) from exc
        try:
            version = profile_save_json(data=data)
        except ValidationError as exc:
            messages = []
            for field, errors in exc.message_dict.items():
                messages += [e if e.startswith(field) else f"{field}: {e}" for e in errors]
            raise CommandError(f"{file}: " + "; ".join(messages), returncode=1) from exc
        self.stdout.write(f'profile="{version.profile.name}" version={version.number} criteria={len(version.criteria)}')
