"""The nightly recompute at scale, next to the floor: one hand-written SQL pass counting touches per account and
kind in the window on the same data. Then the same run split over two worker processes.

Before each next night a day's new data arrives as it would from the day's imports (a day's share of the touches,
new leads, won deals), so an incremental night has real changes to find, not only dates that came due.

Data is generated in SQL (generate_series), not through the ORM.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import statistics
import time
from collections.abc import Iterable

AS_OF = dt.date(2026, 7, 20)
# Incremental nights after the first run, alternating one and two workers: three of each.
NIGHTS = 6


def generate(n_accounts: int, n_touches: int) -> None:
    from django.db import connection

    with connection.cursor() as c:
        c.execute("TRUNCATE accounts_account, contacts_touch, accounts_lead, accounts_opportunity, engine_alert, "
                  "engine_pendingaccount, "
                  "engine_coveragerow, engine_recomputerun, segments_statetransition, handoffs_handoff, "
                  "dashboards_dailysnapshot CASCADE")
        c.execute("""
            INSERT INTO accounts_account (external_id, name, corporate_number, domain, industry, listed, employees,
                departments, regions, technologies, prefecture, is_target, state, state_initial, icp_fit, icp_tier,
                icp_matched, created_at, updated_at)
            SELECT 'R' || g, 'Bench ' || g, '', '', (ARRAY['manufacturing','it','retail','finance'])[1 + g %% 4],
                   g %% 5 = 0, 10 + g %% 5000, '[]', '[]', '[]', '', g %% 50 <> 0, '', false, 0, '', '[]', now(), now()
            FROM generate_series(1, %s) g""", [n_accounts])
        c.execute("SELECT min(id), max(id) FROM accounts_account")
        lo, hi = c.fetchone()
        # A third customers (won deals, some old), a tenth negotiating, a third with leads.
        c.execute("""
            INSERT INTO accounts_opportunity (external_id, account_id, name, opened_on, closed_on, status, amount, contract_end)
            SELECT 'W' || a.id || '-' || k, a.id, '', d - 60, d, 'won', 1000000, d + 365
            FROM accounts_account a, generate_series(1, 1 + a.id %% 4) k,
                 LATERAL (SELECT DATE %s - ((a.id * 37 + k * 211) %% 1400)::int AS d) x
            WHERE a.id %% 3 = 0""", [AS_OF])
        c.execute("""
            INSERT INTO accounts_opportunity (external_id, account_id, name, opened_on, status, amount)
            SELECT 'N' || a.id, a.id, '', DATE %s - (a.id %% 60)::int, 'open', 500000
            FROM accounts_account a WHERE a.id %% 10 = 1""", [AS_OF])
        c.execute("""
            INSERT INTO accounts_lead (external_id, account_id, created_on, status, score, source, contact_name, contact_email)
            SELECT 'L' || a.id, a.id, DATE %s - (a.id %% 200)::int, 'open', a.id %% 101, '', '', ''
            FROM accounts_account a WHERE a.id %% 3 = 1""", [AS_OF])
        c.execute("""
            INSERT INTO contacts_touch (account_id, occurred_at, occurred_on, kind, channel, content_stage,
                performer_role, source, note, created_at)
            SELECT %s + (g * 7919) %% (%s - %s + 1), t, (t AT TIME ZONE 'Asia/Tokyo')::date,
                   CASE WHEN g %% 5 < 2 THEN 'human' ELSE 'digital' END, '', '',
                   (ARRAY['sales','csm','marketing','inside_sales','marketing','executive'])[1 + g %% 6], 'csv', '', now()
            FROM generate_series(1::bigint, %s::bigint) g,
                 LATERAL (SELECT TIMESTAMPTZ '2026-07-20 12:00+09' - ((g * 104729) %% (365 * 24 * 60)) * INTERVAL '1 minute' AS t) x
            """, [lo, hi, lo, n_touches])
        # As autovacuum leaves a table some time after a bulk load: statistics, and pages marked all-visible (the
        # nightly touch queries are index-only scans).
        c.execute("VACUUM ANALYZE")


ENGINE_TABLES = ("engine_alert, engine_coveragerow, engine_recomputerun, segments_statetransition, "
                 "engine_evaluationtally, engine_evaluationtallychange, "
                 "engine_openalerttally, engine_openalerttallychange, "
                 "dashboards_dailysnapshot, engine_accountevaluation, engine_pendingaccount")


def reset_engine() -> None:
    """Keep the generated accounts and touches, forget every run: the next run is a first run again."""
    from django.db import connection

    with connection.cursor() as c:
        c.execute(f"TRUNCATE {ENGINE_TABLES} CASCADE")
        # The days' data added before next nights (add_a_days_data) goes too.
        c.execute("DELETE FROM contacts_touch WHERE source = 'api'")
        c.execute("DELETE FROM accounts_lead WHERE external_id LIKE 'DL%'")
        c.execute("DELETE FROM accounts_opportunity WHERE external_id LIKE 'DW%'")
        c.execute("UPDATE accounts_account SET state = '', state_since = NULL, state_initial = false, "
                  "state_as_of = NULL, icp_fit = 0, icp_tier = '', icp_matched = '[]', icp_profile_id = NULL")
        # As after generate(): the rows deleted and rewritten here leave no dead rows for the floor and the runs.
        for table in ("accounts_account", "contacts_touch", "accounts_lead", "accounts_opportunity"):
            c.execute(f"VACUUM ANALYZE {table}")


def data_present(n_accounts: int, n_touches: int) -> bool:
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT (SELECT count(*) FROM accounts_account), "
                  "(SELECT count(*) FROM contacts_touch WHERE source <> 'api')")
        return c.fetchone() == (n_accounts, n_touches)


FLOOR_SQL = """
    SELECT account_id, kind, count(*) FROM contacts_touch
    WHERE occurred_on BETWEEN DATE %s - 29 AND DATE %s GROUP BY account_id, kind"""


def floor_seconds(repeats: int = 3) -> tuple[float, int]:
    """One set-based pass counting touches per account and kind in the last 30 days: the median of `repeats` runs
    (a single run varied between 1.2 and 2.1 s on the same data with what happened to be cached), and the number of
    processes it was planned on (floor_processes). Both printed."""
    from django.db import connection

    times = []
    with connection.cursor() as c:
        for _ in range(repeats):
            started = time.perf_counter()
            c.execute(f"CREATE TEMP TABLE floor_counts AS {FLOOR_SQL}", [AS_OF, AS_OF])
            times.append(time.perf_counter() - started)
            c.execute("DROP TABLE floor_counts")
    processes = floor_processes()
    print(f"   floor runs: {', '.join(f'{t:.2f}' for t in times)} s, each planned on {processes} process"
          f"{'es (itself and its parallel workers)' if processes > 1 else ''}", flush=True)
    median = sorted(times)[len(times) // 2]
    print(f"   floor (one SQL pass counting touches per account and kind in the window), median: {median:6.2f} s",
          flush=True)
    return median, processes


def floor_processes() -> int:
    """How many processes the server plans the floor on: itself and its parallel workers (PostgreSQL's default is
    two per query), so on a two-core machine the floor uses every core, as the nights with two workers do — the
    like-for-like comparison; the nights with one worker use one core."""
    from django.db import connection

    with connection.cursor() as c:
        c.execute(f"EXPLAIN (FORMAT JSON) {FLOOR_SQL}", [AS_OF, AS_OF])
        plan = c.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan

    def planned_workers(node: dict) -> int:
        return max([node.get("Workers Planned", 0), *map(planned_workers, node.get("Plans", ()))])

    return 1 + planned_workers(plan[0]["Plan"])


def add_a_days_data(day: dt.date, n_touches: int) -> str:
    """The data one business day brings: a 365th of the year's touches (dated that day, on accounts spread over the
    whole id range), a lead on one account in 2,000 and a won deal on one in 5,000. Through plain SQL: the
    change-recording triggers fire as they do for an import."""
    from django.db import connection

    touches = n_touches // 365
    with connection.cursor() as c:
        c.execute("SELECT min(id), max(id) FROM accounts_account")
        lo, hi = c.fetchone()
        seed = day.toordinal()
        c.execute("SELECT EXISTS (SELECT 1 FROM contacts_touch WHERE source = 'api' AND occurred_on = %s)", [day])
        if c.fetchone()[0]:
            return f"{day}'s data is already there"
        c.execute("""
            INSERT INTO contacts_touch (account_id, occurred_at, occurred_on, kind, channel, content_stage,
                performer_role, source, note, created_at)
            SELECT %s + (g * 7919 + %s) %% (%s - %s + 1), t, (t AT TIME ZONE 'Asia/Tokyo')::date,
                   CASE WHEN g %% 5 < 2 THEN 'human' ELSE 'digital' END, '', '',
                   (ARRAY['sales','csm','marketing','inside_sales','marketing','executive'])[1 + g %% 6], 'api', '', now()
            FROM generate_series(1, %s) g,
                 LATERAL (SELECT (DATE %s + TIME '10:00') AT TIME ZONE 'Asia/Tokyo' AS t) x""",
                  [lo, seed, hi, lo, touches, day])
        c.execute("""
            INSERT INTO accounts_lead (external_id, account_id, created_on, status, score, source, contact_name, contact_email)
            SELECT 'DL' || %s || '-' || a.id, a.id, %s, 'open', a.id %% 101, '', '', ''
            FROM accounts_account a WHERE (a.id + %s) %% 2000 = 0""", [seed, day, seed])
        leads = c.rowcount
        c.execute("""
            INSERT INTO accounts_opportunity (external_id, account_id, name, opened_on, closed_on, status, amount, contract_end)
            SELECT 'DW' || %s || '-' || a.id, a.id, '', DATE %s - 45, %s, 'won', 1000000, DATE %s + 365
            FROM accounts_account a WHERE (a.id + %s) %% 5000 = 0""", [seed, day, day, day, seed])
        deals = c.rowcount
        c.execute("SELECT count(*) FROM engine_pendingaccount")
        pending = c.fetchone()[0]
        # The day's imports end hours before the night's run, and PostgreSQL writes what they changed out to the
        # tables (a checkpoint, every 5 minutes by default) long before it: not during the timed run.
        c.execute("CHECKPOINT")
    return f"{touches:,} touches, {leads:,} leads, {deals:,} won deals; {pending:,} accounts changed"


def autovacuum_between_nights() -> list[str]:
    """Between two nights, what autovacuum would have done (when the server's is off, as this machine's is):
    VACUUM ANALYZE each table a night reads or writes whose dead rows, or rows inserted since its last vacuum, are
    past autovacuum's threshold for it (threshold + scale factor × rows, from the table's own settings — migration
    engine/0011 — or the server's). Returns the tables vacuumed; none when autovacuum is on."""
    from django.db import connection

    from engine.services import NIGHTLY_TABLES

    vacuumed = []
    with connection.cursor() as c:
        c.execute("SELECT current_setting('autovacuum') = 'on'")
        if c.fetchone()[0]:
            return vacuumed
        for table in NIGHTLY_TABLES:
            c.execute("""
                SELECT s.n_dead_tup, s.n_ins_since_vacuum, greatest(c.reltuples, 0), coalesce(c.reloptions, '{}')
                FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.relid = %s::regclass""", [table])
            dead, inserted, rows, options = c.fetchone()
            own = dict(option.split("=", 1) for option in options)

            def setting(name):
                if name in own:
                    return float(own[name])
                c.execute("SELECT current_setting(%s)::float", [name])
                return c.fetchone()[0]

            if (dead > setting("autovacuum_vacuum_threshold") + setting("autovacuum_vacuum_scale_factor") * rows
                    or inserted > setting("autovacuum_vacuum_insert_threshold")
                    + setting("autovacuum_vacuum_insert_scale_factor") * rows):
                c.execute(f"VACUUM ANALYZE {table}")
                vacuumed.append(table)
    return vacuumed


def _worker(chunk_ids: Iterable[int]) -> None:
    """Run the chunks `chunk_ids` gives, in a fresh connection."""
    import django
    from django.db import connection

    connection.close()  # a fresh connection per process
    django.setup()
    from engine.services import recompute_chunk

    for chunk_id in chunk_ids:
        recompute_chunk(chunk_id=chunk_id)


# Accounts per chunk when --chunk-size is given (else the engine's default).
CHUNK_SIZE: int | None = None


def timed_run(as_of: dt.date, workers: int, full: bool = False) -> tuple[float, object]:
    from django.db import connection

    from dashboards.night_figures import night_figures_of, night_figures_write
    from engine.services import DEFAULT_CHUNK_SIZE, recompute_run_finish, recompute_run_start

    # A Celery worker process serves many nights: what it loads once (the Japanese holidays of the year, for
    # handoff deadlines) is loaded already. The bench's workers are forked from this process.
    from handoffs.calendar import _japanese_holidays

    _japanese_holidays(as_of.year)
    started = time.perf_counter()
    run = recompute_run_start(as_of=as_of, full=full, chunk_size=CHUNK_SIZE or DEFAULT_CHUNK_SIZE)
    chunk_ids = list(run.chunks.order_by("index").values_list("id", flat=True))
    connection.close()
    chunks_started = time.perf_counter()
    if workers == 1:
        _worker(chunk_ids)
    else:
        ctx = multiprocessing.get_context("fork")
        queue = ctx.Queue()
        for chunk_id in [*chunk_ids, *[None] * workers]:
            queue.put(chunk_id)
        # As Celery workers with a prefetch of one take tasks: the next chunk goes to whichever is free first.
        procs = [ctx.Process(target=_worker, args=(iter(queue.get, None),)) for _ in range(workers)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
            if p.exitcode != 0:
                raise SystemExit(f"worker exited {p.exitcode}")
    finish_started = time.perf_counter()
    run = recompute_run_finish(run_id=run.id)
    ended = time.perf_counter()
    run.phases = (chunks_started - started, finish_started - chunks_started, ended - finish_started)
    # The night's dashboard figures: their own job once the night has committed (dashboards.night_figures), timed
    # on its own.
    figures_started = time.perf_counter()
    run.figures_status = night_figures_write(figures_id=night_figures_of(run_id=run.id))
    run.figures_seconds = time.perf_counter() - figures_started
    return ended - started, run


def _without_analysis_refresh() -> None:
    """The nightly run queues a refresh of the ICP analysis snapshots for a worker of its own; in-process (no
    Redis) it would run inside the timed finish step. The pages section times that refresh on its own."""
    from profiles import services

    services.analysis_refresh_queue = lambda **kwargs: None


def run(args) -> None:
    global CHUNK_SIZE
    CHUNK_SIZE = args.chunk_size
    _without_analysis_refresh()
    n_accounts = args.accounts or 1_000_000
    n_touches = args.touches or 10_000_000
    if args.next_nights:
        return next_nights(args.next_nights)
    started = time.perf_counter()
    if args.reuse_data and data_present(n_accounts, n_touches):
        reset_engine()
        print(f"   reused {n_accounts:,} accounts, {n_touches:,} touches (runs forgotten in "
              f"{time.perf_counter() - started:.0f} s)", flush=True)
    else:
        generate(n_accounts, n_touches)
        print(f"   generated {n_accounts:,} accounts, {n_touches:,} touches in {time.perf_counter() - started:.0f} s",
              flush=True)
    if args.generate_only:
        return
    floor, processes = floor_seconds()
    _timed("first run (every account classified), 1 worker", AS_OF, 1, floor)
    _nights(AS_OF, NIGHTS, floor, processes, n_touches)


def next_nights(nights: int) -> None:
    """More nights after the latest completed run, on the data as it is, alternating one and two workers."""
    from engine.services import latest_completed_as_of

    latest = latest_completed_as_of()
    if latest is None:
        print("   no completed run: run the recompute section first")
        return
    floor, processes = floor_seconds()
    _nights(latest, nights, floor, processes, 10_000_000)


def _nights(latest: dt.date, nights: int, floor: float, processes: int, n_touches: int) -> None:
    """Nights after `latest`, each after a day's new data, alternating one and two workers; then one more night
    forced to evaluate every account, for comparison; then the median night of each number of workers next to the
    floor, which ran on `processes` processes."""
    seconds_by_workers: dict[int, list[float]] = {}
    for night in range(1, nights + 2):
        day = latest + dt.timedelta(days=night)
        vacuumed = autovacuum_between_nights()
        print(f"   {day}: {add_a_days_data(day - dt.timedelta(days=1), n_touches)}"
              f"{'; autovacuum (off on this server) done as configured: ' + ', '.join(vacuumed) if vacuumed else ''}",
              flush=True)
        full = night == nights + 1
        workers = 1 if night % 2 or full else 2
        label = "next night, every account (--full), 1 worker" if full else \
            f"next night, {workers} worker{'s' if workers > 1 else ''}"
        seconds = _timed(label, day, workers, floor, full=full)
        if not full:
            seconds_by_workers.setdefault(workers, []).append(seconds)
    medians = {workers: statistics.median(times) for workers, times in sorted(seconds_by_workers.items())}
    for workers, median in medians.items():
        times = seconds_by_workers[workers]
        # The goal compares like with like: as many workers as the floor had processes, or the most there were.
        compared = "goal: within 4×" if workers == min(processes, max(medians)) else \
            f"{workers} worker{'s' if workers > 1 else ''} against the floor's {processes} process" \
            f"{'es' if processes > 1 else ''}"
        print(f"   incremental nights, {workers} worker{'s' if workers > 1 else ''}: median {median:.1f} s = "
              f"{median / floor:.1f}× floor ({compared}; nights: {', '.join(f'{t:.1f}' for t in times)} s)",
              flush=True)
    if len(medians) == 2:
        print(f"   two workers faster than one: {'yes' if medians[2] < medians[1] else 'NO'} "
              f"({medians[1] / medians[2]:.2f}× faster)", flush=True)


def _timed(label: str, as_of: dt.date, workers: int, floor: float, full: bool = False) -> float:
    seconds, result = timed_run(as_of, workers, full=full)
    print(f"   {label:<48} {seconds:7.1f} s = {seconds / floor:5.1f}× floor | {result.mode}: "
          f"evaluated={result.accounts_evaluated:,} of {result.accounts:,} accounts "
          f"alerts_opened={result.alerts_opened:,} alerts_resolved={result.alerts_resolved:,} | start "
          f"{result.phases[0]:.1f} s, {result.chunks_total} chunks {result.phases[1]:.1f} s, finish {result.phases[2]:.1f} s"
          + f" | then the dashboard figures' own job {result.figures_seconds:.1f} s ({result.figures_status})",
          flush=True)
    return seconds
