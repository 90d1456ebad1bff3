"""`python -m bench [--only SECTION] [--accounts N] [--touches N]`: prints figures, section by section.

Runs against a dedicated database `<name>_bench` on the DATABASE_URL server, created and migrated here, so
dev data is never touched.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time

SECTIONS = ["imports", "recompute", "pages", "rescoring"]
# The standards what-if (bench/whatif.py), on the recompute section's data.
SECTIONS.append("whatif")
# The handoff inbox and feedback figures (bench/handoffs.py): the recompute section's accounts when there are as many.
SECTIONS.append("handoffs")
# Every dashboard page and API with a year of nightly history (bench/dashboards.py): the recompute section's data.
SECTIONS.append("dashboards")
# The funnel, its moves and the content mix (bench/funnel.py): its own year of data, written and read.
SECTIONS.append("funnel")
# The state thresholds' preview job (bench/threshold_preview.py), on the recompute section's data.
SECTIONS.append("threshold_preview")


def bench_database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("make bench needs DATABASE_URL pointing at PostgreSQL, e.g. postgres://postgres@127.0.0.1:5432/coverage_console")
    base, _, name = url.rpartition("/")
    return f"{base}/{(name.split('?')[0] or 'coverage')}_bench"


def setup_django(database_url: str) -> None:
    import psycopg

    base, _, name = database_url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_DEBUG", "1")
    os.environ.pop("REDIS_URL", None)  # tasks in-process
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coverage_console.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--only", choices=SECTIONS, action="append")
    parser.add_argument("--accounts", type=int, default=None, help="accounts (imports: 100k, recompute: 1M)")
    parser.add_argument("--touches", type=int, default=None, help="touches (imports: 1M, recompute: 10M)")
    parser.add_argument("--handoffs", type=int, default=None, help="handoffs (handoffs: 100k)")
    parser.add_argument("--data-dir", default="bench-data")
    parser.add_argument("--reuse-data", action="store_true",
                        help="recompute: keep accounts and touches already generated at this size, forget the runs; "
                             "handoffs: keep the handoffs already generated at this size")
    parser.add_argument("--generate-only", action="store_true", help="recompute: generate the data and stop")
    parser.add_argument("--chunk-size", type=int, default=None, metavar="N",
                        help="recompute: accounts per chunk (default: the engine's)")
    parser.add_argument("--next-nights", type=int, default=0, metavar="N",
                        help="recompute: only N more nights after the latest run, alternating one and two workers")
    args = parser.parse_args()
    args.database_url = bench_database_url()
    setup_django(args.database_url)
    for section in args.only or SECTIONS:
        try:
            module = importlib.import_module(f"bench.{section}")
        except ModuleNotFoundError:
            continue
        print(f"== {section}", flush=True)
        started = time.perf_counter()
        module.run(args)
        print(f"   ({section} took {time.perf_counter() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
