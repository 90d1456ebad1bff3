"""Imports: one service behind the command, the import page and the API."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.utils import timezone

from accounts.importers import ACCOUNTS, LEADS, OPPORTUNITIES
from contacts.importers import TOUCHES

from .importers import USERS
from .importing import ImportAborted, ImportResult, KindSpec, RowError, run_import
from .models import ImportRun, User


def import_specs() -> dict[str, KindSpec]:
    return {"users": USERS, "accounts": ACCOUNTS, "leads": LEADS, "opportunities": OPPORTUNITIES, "touches": TOUCHES}


IMPORT_KINDS = ("users", "accounts", "leads", "opportunities", "touches")


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
    run: ImportRun | None = None, on_error: Callable[[RowError], None] | None = None,
) -> ImportRun:
    """Import a CSV file and record it (who, when, file name and hash, counts, errors).

    All-or-nothing unless skip_invalid; a dry run writes nothing but the ImportRun record.
    """
    if kind not in IMPORT_KINDS:
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join(IMPORT_KINDS)}")
    options = {"skip_invalid": skip_invalid, "encoding": encoding, "mapping": mapping or {}, "blank_clears": blank_clears}
    run = _start_run(run, kind=kind, path=path, file_name=file_name, user=user, dry_run=dry_run, options=options)
    with _error_report(errors_out, on_error) as record_error, _progress_saver(run, progress) as save_progress:
        try:
            result = run_import(
                spec=import_specs()[kind], path=path, encoding=encoding, mapping=mapping, dry_run=dry_run,
                skip_invalid=skip_invalid, blank_clears=blank_clears, on_error=record_error, progress=save_progress,
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
def _error_report(errors_out: Path | None, on_error: Callable[[RowError], None] | None) -> Iterator[Callable]:
    """A function that records an error: into the --errors-out CSV (line, column, value, message) and on_error."""
    errors_file = open(errors_out, "w", encoding="utf-8", newline="") if errors_out else None  # noqa: SIM115
    writer = csv.writer(errors_file) if errors_file else None
    if writer:
        writer.writerow(["line", "column", "value", "message"])

    def record_error(error: RowError) -> None:
        if writer:
            writer.writerow([error.line, error.column, error.value, error.message])
        if on_error:
            on_error(error)

    try:
        yield record_error
    finally:
        if errors_file:
            errors_file.close()


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
