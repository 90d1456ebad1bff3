"""Import throughput next to raw COPY of the same files into plain tables, on the same database."""

from __future__ import annotations

import csv
import datetime as dt
import os
import random
import subprocess
import sys
import statistics
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


def timed_import(kind: str, path: Path, database_url: str) -> tuple[float, float, float, str]:
    """Run import_csv in a subprocess; (seconds with the process start, seconds of the import itself, peak RSS MB,
    summary).

    The process start is Django's setup, loading the command's modules and opening the database connection — what
    any command pays before it reads a byte of its file; the import's own time is `call_command` after them."""
    env = dict(os.environ, DATABASE_URL=database_url, DJANGO_DEBUG="1")
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c",
         "import resource, sys, time, django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','coverage_console.settings');"
         "django.setup(); from django.core.management import call_command, load_command_class;"
         "from django.db import connection; load_command_class('core', 'import_csv'); connection.ensure_connection();"
         "started = time.perf_counter();"
         f"call_command('import_csv', '{kind}', '{path}');"
         "print('import_seconds', time.perf_counter() - started);"
         "print('maxrss_kb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"],
        env=env, capture_output=True, text=True,
    )
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"import_csv {kind} failed:\n{proc.stderr[-2000:]}")
    lines = proc.stdout.strip().splitlines()
    rss_kb = int(lines[-1].split()[1])
    return elapsed, float(lines[-2].split()[1]), rss_kb / 1024, lines[-3]


FLOOR_REPEATS = 3


def floor_rates(table: str) -> tuple[float, float]:
    """What the database alone needs to write the imported rows, median of FLOOR_REPEATS runs each (rolled back):

    - the strict floor: `INSERT … SELECT` into a copy of the table with all its indexes (`LIKE … INCLUDING ALL`:
      no foreign keys, no triggers);
    - the same into the table itself, emptied, its foreign keys checked per statement as the import does and its
      statement triggers firing.

    Like the import: the same rows in the order it inserted them (by id), read from a table whose hint bits are
    set and which has been read once (the import reads its file from the OS cache), the import's session settings
    during its merge (work_mem, no JIT; merge.StagedMerge)."""
    from core.importing.merge import StagedMerge

    settings = f"SET LOCAL work_mem = '{StagedMerge.WORK_MEM}'; SET LOCAL jit = off"
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_rows")
        cursor.execute(f"CREATE UNLOGGED TABLE bench_rows AS SELECT * FROM {table} ORDER BY id")
        cursor.execute("VACUUM (ANALYZE) bench_rows")
        cursor.execute("SELECT count(*) FROM bench_rows")
    strict, checked = [], []
    for _ in range(FLOOR_REPEATS):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(settings)
            cursor.execute(f"CREATE TABLE bench_floor (LIKE {table} INCLUDING ALL)")
            started = time.perf_counter()
            cursor.execute("INSERT INTO bench_floor SELECT * FROM bench_rows")
            strict.append(cursor.rowcount / (time.perf_counter() - started))
            transaction.set_rollback(True)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(settings)
            cursor.execute(f"TRUNCATE {table} CASCADE")
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            started = time.perf_counter()
            cursor.execute(f"INSERT INTO {table} SELECT * FROM bench_rows")
            checked.append(cursor.rowcount / (time.perf_counter() - started))
            transaction.set_rollback(True)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_rows")
    return statistics.median(strict), statistics.median(checked)


PERFORMER_ROLES = ("sales", "marketing", "csm", "inside_sales", "executive")


def write_spread_touches_csv(path: Path, n_touches: int, n_accounts: int, *, days: int, roles: int,
                             seed: int = 3) -> Path:
    """The bench's touches file (same six columns) with its dates over `days` days and `roles` performer roles."""
    rng = random.Random(seed)
    start = dt.datetime(2025, 7, 1, 9, 0)
    minutes = days * 24 * 60
    performer_roles = PERFORMER_ROLES[:roles]
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["external_id", "account_external_id", "occurred_at", "kind", "channel", "performer_role"])
        for i in range(n_touches):
            when = start + dt.timedelta(minutes=rng.randrange(minutes))
            human = rng.random() < 0.4
            w.writerow([f"T{i:08d}", f"B{rng.randrange(n_accounts):07d}", when.strftime("%Y-%m-%dT%H:%M:00+09:00"),
                        "human" if human else "digital", "visit" if human else "email", rng.choice(performer_roles)])
    return path


def bench_files(args, data: Path) -> list[tuple[str, Path, int, Path, int]]:
    """(title, accounts file, accounts, touches file, touches) of each data set, generated when missing."""
    n_accounts = args.accounts or 100_000
    n_touches = args.touches or 1_000_000
    sets = [(f"{n_touches:,} touches on {n_accounts:,} accounts", n_accounts, n_touches, None)]
    if not (args.accounts or args.touches):
        sets.append(("2,000,000 touches on 200,000 accounts, 400 days, five performer roles", 200_000, 2_000_000, 400))
    files = []
    for title, accounts, touches, days in sets:
        accounts_csv = data / f"accounts-{accounts}.csv"
        touches_csv = data / (f"touches-{touches}-{accounts}.csv" if days is None
                              else f"touches-{touches}-{accounts}-{days}d-5roles.csv")
        if not accounts_csv.exists():
            write_accounts_csv(accounts_csv, accounts)
        if not touches_csv.exists():
            if days is None:
                write_touches_csv(touches_csv, touches, accounts)
            else:
                write_spread_touches_csv(touches_csv, touches, accounts, days=days, roles=len(PERFORMER_ROLES))
        files.append((title, accounts_csv, accounts, touches_csv, touches))
    return files


def run(args) -> None:
    data = Path(args.data_dir)
    data.mkdir(exist_ok=True)
    for title, accounts_csv, n_accounts, touches_csv, n_touches in bench_files(args, data):
        print(f"   -- {title}", flush=True)
        with connection.cursor() as cursor:  # a fresh start: the import creates every row
            cursor.execute("TRUNCATE contacts_touch, accounts_account CASCADE")
        kinds = (("accounts", accounts_csv, n_accounts, 10, "accounts_account"),
                 ("touches", touches_csv, n_touches, 6, "contacts_touch"))
        for kind, path, rows, columns, table in kinds:
            bench_kind(args, kind, path, rows, columns, table)


def bench_kind(args, kind: str, path: Path, rows: int, columns: int, table: str) -> None:
    """First import, the floors, then a re-import of the same file."""
    raw = raw_copy_rate(path, columns)
    seconds, own, rss, summary = timed_import(kind, path, args.database_url)
    rate, with_start = rows / own, rows / seconds
    floor, checked = floor_rates(table)
    print(f"   {kind:<9} import {rate:>9,.0f} rows/s  [{rows:,} rows in {own:.1f} s; {with_start:,.0f} rows/s "
          f"with the process start, {seconds:.1f} s; {summary}]", flush=True)
    print(f"   {kind:<9} strict floor (INSERT … SELECT into a LIKE … INCLUDING ALL copy of {table}, no FK) "
          f"{floor:>9,.0f} rows/s: import = {rate / floor:5.1%} of it (goal >= 50%)", flush=True)
    print(f"   {kind:<9} FK-checked INSERT … SELECT into {table} itself (indexes, FK checks, triggers) "
          f"{checked:>9,.0f} rows/s: import = {rate / checked:5.1%} of it", flush=True)
    print(f"   {kind:<9} peak RSS {rss:,.0f} MB (goal < 500 MB); raw COPY into a text table {raw:>9,.0f} rows/s "
          f"(floors: median of {FLOOR_REPEATS})", flush=True)
    seconds, own, rss, summary = timed_import(kind, path, args.database_url)
    print(f"   {kind:<9} re-import {rows / own:>9,.0f} rows/s  peak RSS {rss:,.0f} MB  [{own:.1f} s; {summary}]",
          flush=True)
