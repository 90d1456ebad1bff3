"""One import from file to database: read blocks, validate and write them, all in one transaction.

With errors (and without --skip-invalid), or on a dry run, the transaction is rolled back, so nothing is
half-written (docs/api.md §1).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from pathlib import Path

from django.db import connection, transaction

from core.bulk import cyclic_gc_paused
from core.models import BusinessSettings, User

from .orm import Importer, _RollBack
from .reading import Block, detect_encoding, read_rows
from .rows import RowParser
from .specs import ImportAborted, ImportContext, ImportResult, KindSpec, RowError
from .staged import StagedImporter

SAMPLE_ERRORS = 200


def run_import(
    *, spec: KindSpec, path: Path, encoding: str | None = None, mapping: dict[str, str] | None = None,
    dry_run: bool = False, skip_invalid: bool = False, blank_clears: bool = False,
    on_error: Callable[[RowError], None] | None = None, progress: Callable[[int], None] | None = None,
    user_id: int | None = None,
) -> ImportResult:
    """Import one file (``user_id``: the importing user, when there is one). Raises ImportAborted when the file
    cannot be read at all."""
    encoding = detect_encoding(path, encoding)
    staged = spec.set_based and connection.vendor == "postgresql"
    resolved, warnings, blocks = read_rows(path, encoding, spec, mapping,
                                           (StagedImporter if staged else Importer).BLOCK_ROWS)
    context = ImportContext(zone=BusinessSettings.load().zone,
                            users={u.username: u for u in User.objects.only("id", "username", "role")},
                            user_id=user_id)
    sample: list[RowError] = []

    def record(error: RowError) -> None:
        if len(sample) < SAMPLE_ERRORS:
            sample.append(error)
        if on_error:
            on_error(error)

    importer: Importer | None = None
    # Its own transaction (not a caller's): the chunks may be staged on a second connection, their tables dropped
    # once this transaction has ended (staged.py, sidestage.py).
    own_transaction = not connection.in_atomic_block
    try:
        with transaction.atomic():
            if staged:
                importer = StagedImporter(spec=spec, context=context, blank_clears=blank_clears, on_error=record,
                                          resolved=resolved, write_despite_errors=dry_run or skip_invalid,
                                          side_staging=own_transaction)
            else:
                importer = Importer(spec=spec, context=context, blank_clears=blank_clears, on_error=record)
            _import_blocks(importer, blocks, RowParser(resolved, context), progress,
                           write_despite_errors=dry_run or skip_invalid)
            if dry_run or (importer.result.errors and not skip_invalid):
                raise _RollBack
    except _RollBack:
        pass
    finally:
        if importer is not None:
            importer.release()
    if progress:
        progress(importer.result.rows)
    result = importer.result
    result.error_sample, result.warnings, result.encoding = sample, warnings, encoding
    return result


def _import_blocks(importer: Importer, blocks: Iterator[Block], parse: RowParser,
                   progress: Callable[[int], None] | None, *, write_despite_errors: bool) -> None:
    """Every block through the importer, then its last merge; no thread outlives this, whatever is raised."""
    try:
        # Millions of short-lived acyclic objects: cyclic collection would only cost time.
        with cyclic_gc_paused():
            for block in blocks:
                if importer.flush_block(block, parse):
                    gc.collect(1)  # the young generations only: what a batch's cell errors left behind
                if progress:
                    progress(importer.result.rows)
            if importer.result.rows == 0:
                raise ImportAborted("the file has a header but no data rows", line=2)
            # With errors and without --skip-invalid everything is rolled back: the merge is only worth running
            # on a dry run, whose summary counts what would be created and updated.
            importer.finish(write=write_despite_errors or not importer.result.errors)
    finally:
        importer.abandon()
