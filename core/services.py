"""Imports: one service behind the command, the import page and the API.

`import_file` imports a file now, in this process (the command). The page and the API record the work instead —
`import_queue`, a pending ImportRun with its `job` options — and the background task runs it (`import_run_job`):
dry runs and commits alike, with progress on the run. A commit queued this way then evaluates the accounts it
changed (`import_evaluate_accounts`), as a logged touch does; the command leaves them to the next night.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.utils import timezone

from accounts.importers import ACCOUNTS, LEADS, OPPORTUNITIES
from accounts.models import Account
from contacts.importers import TOUCHES
from engine.models import PendingAccount
from engine.services import latest_completed_as_of, recompute_accounts

from .csvio import csv_file
from .dispatch import dispatch_on_commit
from .importers import USERS
from .importing import ACCOUNT, ImportAborted, ImportResult, KindSpec, RowError, run_import, unescape_text
from .importing.reading import detect_encoding, read_rows
from .models import ImportRun, User
from .timeutil import business_today

logger = logging.getLogger(__name__)


def import_specs() -> dict[str, KindSpec]:
    return {"users": USERS, "accounts": ACCOUNTS, "leads": LEADS, "opportunities": OPPORTUNITIES, "touches": TOUCHES}


IMPORT_KINDS = ("users", "accounts", "leads", "opportunities", "touches")
ERROR_REPORT_HEADER = ("line", "column", "value", "message")


# Accounts evaluated at a time after a commit from the page or the API: one transaction each.
EVALUATE_CHUNK = 1000


def upload_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def errors_path(run: ImportRun) -> Path:
    """Where a run's error report is written (the page's and the API's download)."""
    return upload_dir() / f"run-{run.id}-errors.csv"


def import_store_upload(*, upload: UploadedFile) -> Path:
    """An uploaded file kept on disk under a name of ours, for the runs made from it."""
    stored = upload_dir() / f"{uuid.uuid4().hex}{Path(upload.name or '').suffix.lower()[:8] or '.csv'}"
    with open(stored, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return stored


def import_queue(
    *, kind: str, path: Path, file_name: str, user: User | None, dry_run: bool, skip_invalid: bool = False,
    encoding: str | None = None, mapping: dict[str, str] | None = None, blank_clears: bool = False,
    evaluate: bool = True,
) -> ImportRun:
    """Record an import to run in the background and queue it once the caller commits (core.dispatch: a broker
    that is down leaves it pending, shown as queued, and the sweep sends it later). `evaluate`: a commit then
    evaluates the accounts it changed. The encoding must already be an allowed one (importing.allowed_encoding).
    """
    if kind not in IMPORT_KINDS:
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join(IMPORT_KINDS)}")
    job = {"dry_run": dry_run, "skip_invalid": skip_invalid, "encoding": encoding, "mapping": mapping or {},
           "blank_clears": blank_clears, "evaluate": evaluate and not dry_run}
    with transaction.atomic():
        run = ImportRun.objects.create(
            kind=kind, file_name=file_name[:255], file_sha256="", file_size=path.stat().st_size, created_by=user,
            dry_run=dry_run, status=ImportRun.Status.PENDING,
            options={"stored_path": str(path), "mapping": mapping or {}, "encoding": encoding, "job": job},
        )
        from .tasks import import_file_task  # cycle: core.tasks calls this module's import_run_job

        dispatch_on_commit(import_file_task, run.id)
    return run


def import_run_job(*, run_id: int, legacy: tuple = ()) -> str:
    """Run a queued import (import_queue): claimed pending → running first (compare-and-set), so a message
    delivered twice — a retry, the dispatch sweep — runs it once. Returns the run's status."""
    if len(legacy) == 3:  # (encoding, mapping, skip_invalid): a commit queued before import_queue
        with transaction.atomic():
            old = ImportRun.objects.select_for_update().filter(id=run_id, status=ImportRun.Status.PENDING).first()
            if old is not None and "job" not in old.options:
                old.options = {**old.options, "job": {"dry_run": False, "skip_invalid": bool(legacy[2]),
                                                      "encoding": legacy[0], "mapping": legacy[1] or {},
                                                      "blank_clears": False, "evaluate": False}}
                old.save(update_fields=["options"])
    claimed = ImportRun.objects.filter(id=run_id, status=ImportRun.Status.PENDING, options__has_key="job").update(
        status=ImportRun.Status.RUNNING)
    run = ImportRun.objects.get(id=run_id)
    if not claimed:
        return run.status  # already run, running elsewhere, or an upload nobody queued
    job, path = run.options["job"], Path(run.options.get("stored_path", ""))
    if not path.is_file():
        _fail(run, "the uploaded file is no longer available")
        return run.status
    ImportRun.objects.filter(id=run.id).update(rows_total=_count_rows(path))
    run.refresh_from_db(fields=["rows_total"])
    try:
        run = import_file(kind=run.kind, path=path, file_name=run.file_name, user=run.created_by,
                          dry_run=job["dry_run"], skip_invalid=job["skip_invalid"], encoding=job["encoding"],
                          mapping=job["mapping"], blank_clears=job["blank_clears"], errors_out=errors_path(run),
                          run=run, errors_for_excel=True)
    except Exception as exc:  # its transaction is rolled back; the run must not stay running for ever
        logger.exception("import run %s failed", run_id)
        _fail(run, f"the import stopped: {exc.__class__.__name__}: {str(exc)[:500]}")
        return run.status
    if job.get("evaluate") and run.status == ImportRun.Status.SUCCEEDED and (run.created or run.updated):
        import_evaluate_accounts(run=run, path=path, mapping=job["mapping"])
    return run.status


def _fail(run: ImportRun, message: str) -> None:
    run.status, run.message, run.finished_at = ImportRun.Status.FAILED, message, timezone.now()
    run.save(update_fields=["status", "message", "finished_at"])


def _count_rows(path: Path) -> int:
    with open(path, "rb") as f:
        return max(0, sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b"")) - 1)


def import_evaluate_accounts(*, run: ImportRun, path: Path, mapping: dict[str, str] | None) -> int:
    """Evaluate the accounts a committed import changed, now, as a logged touch re-evaluates its account
    (engine.services.recompute_accounts: no recompute run, the same rules), as of the latest night (today before
    the first one), so that nothing is dated later than it.

    The accounts are those the file names — its external_id (accounts) or account_external_id column — that are
    marked changed (PostgreSQL, where triggers mark them; SQLite has no marks: all of them); read a block of the
    file at a time, evaluated EVALUATE_CHUNK or more at a time, one transaction each. The run shows it as running, its progress in options["evaluation"] (rows of the
    file read, accounts evaluated). A failure is logged and left to the next night: the import stays succeeded.
    Returns the number of accounts evaluated."""
    spec = import_specs()[run.kind]
    columns = [c for c in spec.columns if (run.kind == "accounts" and c.name == spec.key) or c.kind == ACCOUNT]
    if not columns:
        return 0  # users name no account
    as_of = latest_completed_as_of() or business_today()
    marked_only = connections[DEFAULT_DB_ALIAS].vendor == "postgresql"
    progress = {"as_of": as_of.isoformat(), "rows": 0, "rows_total": run.rows_total, "accounts": 0}
    evaluated: set[int] = set()
    waiting: set[int] = set()

    def save_progress(**extra) -> None:
        run.options = {**run.options, "evaluation": {**progress, **extra}}
        run.save(update_fields=["options"])

    def take(external_ids: list[str]) -> None:
        """The changed accounts among those named, waiting for their chunk (one query, two on PostgreSQL)."""
        ids = set(Account.objects.filter(external_id__in=external_ids).values_list("id", flat=True)) - evaluated
        if marked_only and ids:
            ids &= set(PendingAccount.objects.filter(account_id__in=ids).values_list("account_id", flat=True))
        waiting.update(ids - evaluated)

    def evaluate() -> None:
        recompute_accounts(account_ids=sorted(waiting), as_of=as_of)
        evaluated.update(waiting)
        waiting.clear()
        progress["accounts"] = len(evaluated)
        save_progress()

    ImportRun.objects.filter(id=run.id).update(status=ImportRun.Status.RUNNING)
    save_progress()
    outcome: dict = {"finished": True}
    try:
        resolved, _warnings, blocks = read_rows(path, run.encoding or detect_encoding(path), spec, mapping)
        index = next(i for i, c in resolved.items() if c in columns)
        for block in blocks:
            keys = [unescape_text(cells[index].strip()) for _line, cells in block.records() if index < len(cells)]
            progress["rows"] += len(block.rows)
            take([key for key in keys if key])
            if len(waiting) >= EVALUATE_CHUNK:
                evaluate()
        if waiting:
            evaluate()
    except Exception:  # the import is committed: its evaluation failing must not fail it
        logger.exception("import run %s: evaluating its accounts failed; the next night evaluates them", run.id)
        outcome = {"failed": True}
    save_progress(**outcome)
    ImportRun.objects.filter(id=run.id).update(status=ImportRun.Status.SUCCEEDED)
    run.status = ImportRun.Status.SUCCEEDED
    return len(evaluated)


def _sha256(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _progress_connection():
    """A second PostgreSQL connection (autocommit) for progress, or None (SQLite: one writer, same connection)."""
    main = connections[DEFAULT_DB_ALIAS]
    if main.vendor != "postgresql" or main.in_atomic_block:
        return None  # inside a caller's transaction the run row may be locked by it: stay on its connection
    side = connections.create_connection(DEFAULT_DB_ALIAS)
    with side.cursor() as cursor:
        cursor.execute("SET lock_timeout = '2s'")
    return side


def import_file(
    *, kind: str, path: Path, file_name: str | None = None, user: User | None = None, dry_run: bool = False,
    skip_invalid: bool = False, encoding: str | None = None, mapping: dict[str, str] | None = None,
    blank_clears: bool = False, errors_out: Path | None = None, progress: Callable[[int], None] | None = None,
    run: ImportRun | None = None, on_error: Callable[[RowError], None] | None = None, errors_for_excel: bool = False,
) -> ImportRun:
    """Import a CSV file and record it (who, when, file name and hash, counts, errors).

    All-or-nothing unless skip_invalid; a dry run writes nothing but the ImportRun record.
    """
    if kind not in IMPORT_KINDS:
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join(IMPORT_KINDS)}")
    options = {"skip_invalid": skip_invalid, "encoding": encoding, "mapping": mapping or {}, "blank_clears": blank_clears}
    run = _start_run(run, kind=kind, path=path, file_name=file_name, user=user, dry_run=dry_run, options=options)
    with _error_report(errors_out, on_error, errors_for_excel) as record_error, _progress_saver(run, progress) as save_progress:
        try:
            result = run_import(
                spec=import_specs()[kind], path=path, encoding=encoding, mapping=mapping, dry_run=dry_run,
                skip_invalid=skip_invalid, blank_clears=blank_clears, on_error=record_error, progress=save_progress,
                user_id=user.pk if user else None,
            )
        except ImportAborted as exc:
            record_error(RowError(exc.line, exc.column, "", exc.message))
            run.status, run.errors, run.message = ImportRun.Status.FAILED, 1, exc.message
            run.error_sample = [{"line": exc.line, "column": exc.column, "value": "", "message": exc.message}]
            run.finished_at = timezone.now()
            run.save()
            return run
    _record_result(run, result, dry_run=dry_run, skip_invalid=skip_invalid)
    return run


def _start_run(run: ImportRun | None, *, kind: str, path: Path, file_name: str | None, user: User | None,
               dry_run: bool, options: dict) -> ImportRun:
    """The run's record, saved as running (a run made by the import page keeps its stored options)."""
    sha, size = _sha256(path)
    if run is None:
        run = ImportRun(kind=kind, created_by=user)
    else:
        options = {**run.options, **options}
    run.kind, run.file_name, run.file_sha256, run.file_size = kind, file_name or path.name, sha, size
    run.options, run.dry_run, run.status = options, dry_run, ImportRun.Status.RUNNING
    run.save()
    return run


@contextmanager
def _error_report(errors_out: Path | None, on_error: Callable[[RowError], None] | None,
                  for_excel: bool) -> Iterator[Callable]:
    """A function that records an error: into the --errors-out CSV (line, column, value, message) and on_error.

    The report is written as the exports are (core/csvio.py, docs/api.md §4): a cell that would be a formula
    (`=1+1`, `@SUM(1)`) escaped with a leading `'`; with a BOM when it is downloaded from the page or the API
    (`for_excel`), as the pages' exports."""
    with ExitStack() as stack:
        write_row = (stack.enter_context(csv_file(errors_out, ERROR_REPORT_HEADER, bom=for_excel))
                     if errors_out else None)

        def record_error(error: RowError) -> None:
            if write_row:
                write_row([error.line, error.column, error.value, error.message])
            if on_error:
                on_error(error)

        yield record_error


@contextmanager
def _progress_saver(run: ImportRun, progress: Callable[[int], None] | None) -> Iterator[Callable[[int], None]]:
    """A function that saves the rows done so far on the run (and tells `progress`)."""
    progress_connection = _progress_connection()

    def save_progress(rows: int) -> None:
        if progress_connection is not None:
            # Outside the import's transaction: the import page sees it at once, and the import's connection
            # stays free for its merge worker.
            try:
                with progress_connection.cursor() as cursor:
                    cursor.execute("UPDATE core_importrun SET rows_done = %s WHERE id = %s", [rows, run.id])
            except DatabaseError:
                pass  # progress is best effort; the final counts are saved with the run
        else:
            ImportRun.objects.filter(id=run.id).update(rows_done=rows)
        if progress:
            progress(rows)

    try:
        yield save_progress
    finally:
        if progress_connection is not None:
            progress_connection.close()


def _record_result(run: ImportRun, result: ImportResult, *, dry_run: bool, skip_invalid: bool) -> None:
    """The run's counts, errors and outcome, saved as finished."""
    run.encoding = result.encoding
    run.rows_total = run.rows_done = result.rows
    run.created, run.updated, run.unchanged, run.errors = result.created, result.updated, result.unchanged, result.errors
    run.error_sample = [e.__dict__ for e in result.error_sample]
    run.warnings = result.warnings
    if result.errors and not skip_invalid:
        run.status, run.message = ImportRun.Status.FAILED, "errors found: nothing was written"
        if not dry_run:
            run.created = run.updated = run.unchanged = 0  # rolled back
    elif dry_run:
        run.status, run.message = ImportRun.Status.VALIDATED, "dry run: nothing was written"
    else:
        run.status = ImportRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.save()
