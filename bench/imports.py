"""Import throughput next to raw COPY of the same files into plain tables, on the same database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection, transaction

from .datagen import write_accounts_csv, write_touches_csv


def raw_copy_rate(path: Path, columns: int) -> float:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw")
        cursor.execute("CREATE UNLOGGED TABLE bench_raw (" + ", ".join(f"c{i} text" for i in range(columns)) + ")")
        rows = sum(1 for _ in open(path, encoding="utf-8")) - 1
        started = time.perf_counter()
        with open(path, "rb") as f, cursor.cursor.copy("COPY bench_raw FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            while data := f.read(1 << 20):
                copy.write(data)
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_raw")
    return rows / elapsed


def timed_import(kind: str, path: Path, database_url: str) -> tuple[float, float, str]:
    """Run import_csv in a subprocess; (seconds, peak RSS MB, summary)."""
    env = dict(os.environ, DATABASE_URL=database_url, DJANGO_DEBUG="1")
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c",
         "import resource, sys, django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','coverage_console.settings');"
         "django.setup(); from django.core.management import call_command;"
         f"call_command('import_csv', '{kind}', '{path}');"
         "print('maxrss_kb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"],
        env=env, capture_output=True, text=True,
    )
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"import_csv {kind} failed:\n{proc.stderr[-2000:]}")
    lines = proc.stdout.strip().splitlines()
    rss_kb = int(lines[-1].split()[1])
    return elapsed, rss_kb / 1024, lines[-2]


def table_insert_rate(table: str) -> float:
    """What the database alone needs to write the imported rows: INSERT … SELECT of a copy of them into the same
    indexed table, foreign keys checked per statement as the import does (rolled back)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE bench_rows ON COMMIT DROP AS SELECT * FROM {table}")
        rows = cursor.execute("SELECT count(*) FROM bench_rows").fetchone()[0]
        cursor.execute(f"TRUNCATE {table} CASCADE")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        started = time.perf_counter()
        cursor.execute(f"INSERT INTO {table} SELECT * FROM bench_rows")
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return rows / elapsed


def run(args) -> None:
    n_accounts = args.accounts or 100_000
    n_touches = args.touches or 1_000_000
    data = Path(args.data_dir)
    data.mkdir(exist_ok=True)
    accounts_csv = data / f"accounts-{n_accounts}.csv"
    touches_csv = data / f"touches-{n_touches}-{n_accounts}.csv"
    if not accounts_csv.exists():
        write_accounts_csv(accounts_csv, n_accounts)
    if not touches_csv.exists():
        write_touches_csv(touches_csv, n_touches, n_accounts)
    with connection.cursor() as cursor:  # a fresh start: the import creates every row
        cursor.execute("TRUNCATE contacts_touch, accounts_account CASCADE")
    kinds = (("accounts", accounts_csv, n_accounts, 10, "accounts_account"),
             ("touches", touches_csv, n_touches, 6, "contacts_touch"))
    for kind, path, rows, columns, table in kinds:
        raw = raw_copy_rate(path, columns)
        seconds, rss, summary = timed_import(kind, path, args.database_url)
        rate = rows / seconds
        floor = table_insert_rate(table)
        print(f"   {kind:<9} import {rate:>9,.0f} rows/s  COPY {raw:>9,.0f} rows/s  = {rate / raw:5.1%} of COPY "
              f"(goal >= 25%)  peak RSS {rss:,.0f} MB (goal < 500 MB)  [{rows:,} rows in {seconds:.1f} s, "
              f"process start included; {summary}]", flush=True)
        print(f"   {kind:<9} INSERT of the same rows into {table} (indexes, FK checks): {floor:>9,.0f} rows/s "
              f"= {floor / raw:5.1%} of COPY: the import cannot beat this", flush=True)
        seconds, rss, summary = timed_import(kind, path, args.database_url)
        print(f"   {kind:<9} re-import {rows / seconds:>9,.0f} rows/s  peak RSS {rss:,.0f} MB  [{seconds:.1f} s; {summary}]",
              flush=True)
