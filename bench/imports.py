"""Import throughput next to raw COPY of the same files into plain tables, on the same database."""

from __future__ import annotations

import csv
import datetime as dt
import os
import random
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


def table_copy_rate(table: str) -> float:
    """The import's floor: PostgreSQL writing the same rows into a copy of the table with all its indexes
    (`CREATE TABLE x (LIKE t INCLUDING ALL); INSERT INTO x SELECT * FROM t`; rolled back). No foreign keys: the
    copy has none, so this is the stricter floor of the two."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE bench_floor (LIKE {table} INCLUDING ALL)")
        started = time.perf_counter()
        cursor.execute(f"INSERT INTO bench_floor SELECT * FROM {table}")
        rows = cursor.rowcount
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return rows / elapsed


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
    seconds, rss, summary = timed_import(kind, path, args.database_url)
    rate = rows / seconds
    floor = table_copy_rate(table)
    insert = table_insert_rate(table)
    print(f"   {kind:<9} import {rate:>9,.0f} rows/s = {rate / floor:5.1%} of the floor (goal >= 50%)  "
          f"peak RSS {rss:,.0f} MB (goal < 500 MB)  [{rows:,} rows in {seconds:.1f} s, process start included; "
          f"{summary}]", flush=True)
    print(f"   {kind:<9} floor: INSERT … SELECT into a copy of {table} with all its indexes {floor:>9,.0f} rows/s; "
          f"into {table} itself (FK checks) {insert:>9,.0f} rows/s; raw COPY into a text table {raw:>9,.0f} rows/s "
          f"(import = {rate / raw:5.1%} of it)", flush=True)
    seconds, rss, summary = timed_import(kind, path, args.database_url)
    print(f"   {kind:<9} re-import {rows / seconds:>9,.0f} rows/s  peak RSS {rss:,.0f} MB  [{seconds:.1f} s; {summary}]",
          flush=True)
