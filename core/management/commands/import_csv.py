from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.importing import EncodingRefused, allowed_encoding
from core.models import ImportRun, User
from core.services import IMPORT_KINDS, import_file

MAX_PRINTED_ERRORS = 50


class Command(BaseCommand):
    help = "Bulk import users, accounts, leads, opportunities or touches from CSV (UTF-8 or CP932)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=IMPORT_KINDS)
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")
        parser.add_argument("--skip-invalid", action="store_true", help="write the valid rows, report the rest")
        parser.add_argument("--encoding", help="default: detect UTF-8, UTF-8 with BOM, CP932/Shift_JIS; "
                            "else one of utf-8, utf-8-sig, cp932, shift_jis, euc-jp, iso-2022-jp, latin-1, cp1252")
        parser.add_argument("--map", action="append", default=[], metavar="SOURCE=FIELD", help="map a header to a field")
        parser.add_argument("--errors-out", help="write the error report as CSV (line, column, value, message)")
        parser.add_argument("--blank-clears", action="store_true", help="an empty cell clears the stored value")
        parser.add_argument("--user", help="username recorded as the importer")

    def handle(self, *args, kind, file, dry_run, skip_invalid, encoding, map, errors_out, blank_clears, user, **options):
        mapping = {}
        for item in map:
            source, sep, target = item.partition("=")
            if not sep or not source.strip() or not target.strip():
                raise CommandError(f"--map needs SOURCE=FIELD, got {item!r}", returncode=2)
            mapping[source.strip()] = target.strip()
        if encoding:
            try:
                encoding = allowed_encoding(encoding)
            except EncodingRefused as exc:
                raise CommandError(f"--encoding: {exc.message}", returncode=2) from None
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file", returncode=1)
        actor = None
        if user:
            actor = User.objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"--user: unknown user {user!r}", returncode=1)
        printed = 0

        def print_error(error):
            nonlocal printed
            printed += 1
            if printed <= MAX_PRINTED_ERRORS:
                self.stderr.write(f"{path.name}: {error}")

        run = import_file(
            kind=kind, path=path, user=actor, dry_run=dry_run, skip_invalid=skip_invalid, encoding=encoding,
            mapping=mapping, blank_clears=blank_clears, errors_out=Path(errors_out) if errors_out else None,
            on_error=print_error,
        )
        if printed > MAX_PRINTED_ERRORS:
            self.stderr.write(f"… {printed - MAX_PRINTED_ERRORS} more error(s)" + (f" in {errors_out}" if errors_out else ""))
        for warning in run.warnings:
            self.stderr.write(f"{path.name}: warning: {warning}")
        suffix = " (dry run)" if dry_run else ""
        self.stdout.write(run.summary + suffix)
        if run.status == ImportRun.Status.FAILED:
            raise CommandError(run.message or "import failed", returncode=1)
