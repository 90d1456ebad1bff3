"""Import throughput next to raw COPY of the same files into plain tables, on the same database."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from .datagen import write_accounts_csv, write_touches_csv


def raw_copy_rate(path: Path, columns: int) -> float:
    from django.db import connection

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


def run(args) -> None:
    from django.db import connection

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
    for kind, path, rows, columns in (("accounts", accounts_csv, n_accounts, 10), ("touches", touches_csv, n_touches, 6)):
        raw = raw_copy_rate(path, columns)
        seconds, rss, summary = timed_import(kind, path, args.database_url)
        rate = rows / seconds
        print(f"   import_csv {kind:<9} {rows:>9,} rows {seconds:7.1f} s {rate:>9,.0f} rows/s | raw COPY {raw:>9,.0f} rows/s | "
              f"ratio {rate / raw:5.1%} | peak RSS {rss:,.0f} MB | {summary}", flush=True)
        seconds, rss, summary = timed_import(kind, path, args.database_url)
        print(f"   re-import {kind:<10} {rows:>9,} rows {seconds:7.1f} s {rows / seconds:>9,.0f} rows/s | {summary}", flush=True)
