"""`make bench-load` (`python -m bench.load`): 50 reps at once on the production web command, over loopback, on the
bench database as `make bench` left it (docs/benchmarks.md, "bench-load").

1. **Reps**: 50 users of rep roles (20 field sales, 15 inside sales, 15 customer success), `load-rep-00` … `49`,
   created if missing, one password for all (new each run). Rep k owns, in its role's owner column, the accounts
   whose hashed id is k modulo 250: about 3,900 each, a fifth of a million accounts owned, the rest unowned
   prospects (never an id the `pages` section gives its rep). The open alerts of those accounts for the rep's role
   are assigned to it, as the night assigns them. Idempotent: a second run changes no row. The owner changes are
   recorded for the next night, as after an import of owners.
2. **Server**: `gunicorn coverage_console.wsgi` (docker-compose.yml's web command) on 127.0.0.1, debug off, with the
   production settings (a throwaway secret key; plain http on loopback, so no TLS redirect and no secure-only
   cookies). Workers × threads are chosen for two cores (`--workers`, `--threads`; docs/benchmarks.md says why).
3. **Logins**: every rep signs in through `/login/` with its password (django-axes checks it) before any timed
   request; the session and CSRF cookies go to the locust users (`bench/locustfile.py`).
4. **The morning**: locust, headless, 50 users acting every 5–15 s for 3 minutes on Today, the accounts list and
   `POST /api/v1/touches/`: p50 / p95 / p99 per kind and the errors.
5. **The ceiling**: short runs (30 s each) with the wait between actions stepped down; the last rate at which every
   kind's p95 stayed under 200 ms with no error is printed, and the runs go on to where the rate stops rising (the
   machine's saturation).

Both the server and locust are started and stopped here, each bounded in time.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

REP_ROLES = ["sales"] * 20 + ["inside_sales"] * 15 + ["csm"] * 15
# Rep k owns the accounts whose scrambled id is k modulo 250 (about 3,900 of a million each). Scrambled: the
# recompute section derives states, deals and leads from id modulo small numbers, so a plain modulo would give
# one rep only deals and another none. Never an id divisible by 50: the `pages` section's rep owns those.
SHARE = "CASE WHEN {id} %% 50 <> 0 THEN abs(hashint8({id})) %% 250 END"
TARGET_P95_MS = 200.0
# Mean seconds between a rep's actions for the ceiling runs (each run waits 0.5×–1.5× the mean).
SWEEP_MEANS = (10, 5, 3, 2, 1.5, 1, 0.7, 0.5, 0.35, 0.25, 0.15, 0.1, 0.05, 0)


def rep_username(k: int) -> str:
    return f"load-rep-{k:02d}"


# -- 1. reps ---------------------------------------------------------------------------------------------------------

def prepare_reps(n: int, password: str, *, touch_accounts: int = 60) -> list[dict]:
    """The reps, their accounts and alerts (module docstring, 1); returns what the locust users need but cookies."""
    if n > len(REP_ROLES):
        sys.exit(f"at most {len(REP_ROLES)} reps")
    reps = _upsert_reps(n, password)
    _assign_shares(reps)
    _pick_touch_accounts(reps, touch_accounts)
    return reps


def _upsert_reps(n: int, password: str) -> list[dict]:
    from axes.utils import reset as axes_reset
    from django.contrib.auth.hashers import make_password

    from core.models import User

    hashed = make_password(password)  # one hash for all: hashing is slow on purpose
    reps = []
    for k in range(n):
        user, _ = User.objects.get_or_create(username=rep_username(k), defaults={"role": REP_ROLES[k]})
        user.role, user.full_name, user.is_active, user.password = REP_ROLES[k], f"Load Rep {k:02d}", True, hashed
        user.save(update_fields=["role", "full_name", "is_active", "password"])
        reps.append({"username": user.username, "user_id": user.id, "role": REP_ROLES[k], "residue": k})
    for rep in reps:  # a lock left by an earlier, failed attempt
        axes_reset(username=rep["username"])
    return reps


def _assign_shares(reps: list[dict]) -> None:
    """Each rep owns its hashed share of the accounts; open alerts follow their account's owner."""
    from django.db import connection, transaction

    n = len(reps)
    started = time.perf_counter()
    changed = assigned = 0
    with transaction.atomic(), connection.cursor() as c:
        for role in sorted({r["role"] for r in reps}):
            values = [(r["residue"], r["user_id"]) for r in reps if r["role"] == role]
            rows = ", ".join(["(%s, %s)"] * len(values))
            params = [p for pair in values for p in pair]
            column = f"owner_{role}_id"
            # An account leaves a rep's book when it is no longer in its share (an earlier share rule), then each
            # rep gets its share.
            c.execute(f"""
                UPDATE accounts_account a SET {column} = NULL FROM (VALUES {rows}) m(residue, user_id)
                WHERE a.{column} = m.user_id AND {SHARE.format(id="a.id")} IS DISTINCT FROM m.residue""", params)
            changed += c.rowcount
            c.execute(f"""
                UPDATE accounts_account a SET {column} = m.user_id FROM (VALUES {rows}) m(residue, user_id)
                WHERE {SHARE.format(id="a.id")} = m.residue AND a.{column} IS DISTINCT FROM m.user_id""", params)
            changed += c.rowcount
            # As the night assigns an alert: to the account's owner of the alert's responsible role.
            ids = [u for _, u in values]
            c.execute(f"""
                UPDATE engine_alert al SET assignee_id = a.{column} FROM accounts_account a
                WHERE al.account_id = a.id AND al.status = 'open' AND al.responsible_role = %s
                  AND (al.assignee_id = ANY(%s) OR a.{column} = ANY(%s))
                  AND al.assignee_id IS DISTINCT FROM a.{column}""", [role, ids, ids])
            assigned += c.rowcount
    if changed or assigned:
        with connection.cursor() as c:
            for table in ("accounts_account", "engine_alert"):
                c.execute(f"VACUUM ANALYZE {table}")
    print(f"   {n} reps ({', '.join(f'{REP_ROLES[:n].count(r)} {r}' for r in dict.fromkeys(REP_ROLES[:n]))}); "
          f"owner columns changed on {changed:,} accounts, {assigned:,} open alerts (re)assigned "
          f"({time.perf_counter() - started:.0f} s)", flush=True)


def _pick_touch_accounts(reps: list[dict], touch_accounts: int) -> None:
    from django.db import connection

    with connection.cursor() as c:
        for rep in reps:
            rep_column = f"owner_{rep['role']}_id"
            c.execute("SELECT count(*) FROM engine_alert WHERE status = 'open' AND assignee_id = %s", [rep["user_id"]])
            rep["open_alerts"] = c.fetchone()[0]
            # The accounts a rep logs touches on: those with its open alerts first, then others of its share.
            c.execute(f"""
                (SELECT a.external_id, a.name FROM engine_alert al JOIN accounts_account a ON a.id = al.account_id
                 WHERE al.status = 'open' AND al.assignee_id = %s ORDER BY al.id LIMIT %s)
                UNION
                (SELECT external_id, name FROM accounts_account WHERE {rep_column} = %s
                 ORDER BY md5(id::text) LIMIT %s)""",
                      [rep["user_id"], touch_accounts // 2, rep["user_id"], touch_accounts // 2])
            rows = c.fetchall()
            rep["accounts"] = [r[0] for r in rows]
            rep["names"] = [r[1] for r in rows[:10]]
    alerts = sorted(r["open_alerts"] for r in reps)
    print(f"   open alerts per rep: min {alerts[0]}, median {alerts[len(alerts) // 2]}, max {alerts[-1]}", flush=True)


# -- 2. server -------------------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(database_url: str) -> dict[str, str]:
    """Production settings (no DJANGO_DEBUG) on the bench database, plain http on loopback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "CELERY_"))}
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(60),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_INSECURE_COOKIES="1",
        DATABASE_URL=database_url,
    )
    return env


class Server:
    """gunicorn on 127.0.0.1:port, started and stopped (by its pid) here."""

    def __init__(self, *, database_url: str, port: int, workers: int, threads: int, log: Path):
        self.port, self.log = port, log
        self.command = [str(BIN / "gunicorn"), "coverage_console.wsgi", "-b", f"127.0.0.1:{port}",
                        "-w", str(workers), "--threads", str(threads), "--timeout", "60", "--graceful-timeout", "10"]
        self.env = server_env(database_url)
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        self._log_file = open(self.log, "w", encoding="utf-8")
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=self._log_file,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}; see {self.log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                time.sleep(0.3)
        else:
            self.__exit__(None, None, None)
            raise SystemExit(f"gunicorn did not listen within 60 s; see {self.log}")
        return self

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # the arbiter stops its workers
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log_file.close()


# -- 3. logins -------------------------------------------------------------------------------------------------------

def log_in(base: str, username: str, password: str) -> dict[str, str]:
    """Sign in through the login form as a browser does; returns the session and CSRF cookies."""
    import requests

    with requests.Session() as s:
        page = s.get(f"{base}/login/", timeout=30)
        token = s.cookies.get("csrftoken")
        if page.status_code != 200 or not token:
            raise SystemExit(f"login page: HTTP {page.status_code}")
        answer = s.post(f"{base}/login/", data={"username": username, "password": password,
                                                "csrfmiddlewaretoken": token},
                        headers={"Referer": f"{base}/login/"}, allow_redirects=False, timeout=30)
        if answer.status_code != 302 or "sessionid" not in s.cookies:
            raise SystemExit(f"{username} could not sign in: HTTP {answer.status_code}")
        return {"sessionid": s.cookies["sessionid"], "csrftoken": s.cookies["csrftoken"]}


# -- 4./5. locust ----------------------------------------------------------------------------------------------------

def cpu_times() -> tuple[int, int] | None:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return None
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def run_locust(*, host: str, reps_file: Path, users: int, spawn_rate: float, seconds: int, wait: tuple[float, float],
               prefix: Path, reset_stats: bool) -> dict:
    """One headless locust run; returns its stats by request name, the load average before and the CPU use."""
    env = dict(os.environ, LOAD_REPS=str(reps_file), LOAD_WAIT_MIN=str(wait[0]), LOAD_WAIT_MAX=str(wait[1]))
    command = [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "-u", str(users),
               "-r", str(spawn_rate), "-t", f"{seconds}s", "--host", host, "--csv", str(prefix), "--only-summary",
               "--loglevel", "WARNING", "--stop-timeout", "30"]
    # --stop-timeout: the requests in flight when the time is up finish (one cut off would count as an error,
    # "HTTP 0"). --reset-stats: the ceiling runs' figures start once every user is spawned.
    if reset_stats:
        command.append("--reset-stats")
    load_before = os.getloadavg()
    cpu_before = cpu_times()
    with open(f"{prefix}.log", "w", encoding="utf-8") as log:
        try:
            subprocess.run(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=seconds + 120)
        except subprocess.TimeoutExpired:
            raise SystemExit(f"locust did not finish within {seconds + 120} s; see {prefix}.log")
    cpu_after = cpu_times()
    cpu = None
    if cpu_before and cpu_after and cpu_after[1] > cpu_before[1]:
        cpu = 100.0 * (cpu_after[0] - cpu_before[0]) / (cpu_after[1] - cpu_before[1])
    stats = {}
    with open(f"{prefix}_stats.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            stats[row["Name"]] = row
    failures = []
    if Path(f"{prefix}_failures.csv").exists():
        with open(f"{prefix}_failures.csv", encoding="utf-8") as f:
            failures = list(csv.DictReader(f))
    return {"stats": stats, "failures": failures, "load_before": load_before, "cpu": cpu}


KINDS = ("Today", "accounts list", "accounts list, filtered", "touches (API)")


def summarise(result: dict) -> tuple[float, float, int]:
    """Prints one line per kind; returns (the worst p95, requests/s, errors)."""
    stats = result["stats"]
    worst = 0.0
    for name in (*KINDS, "Aggregated"):
        row = stats.get(name)
        if row is None:
            continue
        count, errors = int(row["Request Count"]), int(row["Failure Count"])
        p50, p95, p99 = (float(row[q]) if row[q] not in ("", "N/A") else float("nan") for q in ("50%", "95%", "99%"))
        if name != "Aggregated":
            worst = max(worst, p95)
        print(f"   {name:<26} {count:6d} req  p50 {p50:6.0f} ms  p95 {p95:6.0f} ms  p99 {p99:6.0f} ms  "
              f"errors {errors}", flush=True)
    total = stats.get("Aggregated", {})
    rate = float(total.get("Requests/s") or 0)
    errors = int(total.get("Failure Count") or 0)
    for failure in result["failures"][:5]:
        print(f"   error: {failure.get('Method')} {failure.get('Name')}: {failure.get('Error')} "
              f"×{failure.get('Occurrences')}", flush=True)
    return worst, rate, errors


def machine(result: dict) -> str:
    load = " ".join(f"{x:.2f}" for x in result["load_before"])
    cpu = f", CPU busy {result['cpu']:.0f}% during the run" if result["cpu"] is not None else ""
    return f"load average before {load}{cpu}"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50, help="reps acting at once (default 50)")
    parser.add_argument("--duration", type=int, default=180, help="seconds of the morning run (default 180)")
    parser.add_argument("--wait", type=float, nargs=2, default=(5.0, 15.0), metavar=("MIN", "MAX"),
                        help="seconds between a rep's actions in the morning run (default 5 15)")
    parser.add_argument("--step-seconds", type=int, default=30, help="seconds of each ceiling run (default 30)")
    parser.add_argument("--no-ceiling", action="store_true", help="only the morning run")
    parser.add_argument("--no-morning", action="store_true", help="only the ceiling runs")
    parser.add_argument("--no-saturation", dest="saturation", action="store_false",
                        help="stop the ceiling runs at the first that does not hold (by default they go on to where "
                             "the rate stops rising)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes (default 3)")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker (default 2)")
    parser.add_argument("--out-dir", default="bench-data/load", help="locust CSV files and the server log")
    return parser.parse_args()


def morning(args: argparse.Namespace, *, host: str, reps_file: Path, out: Path) -> None:
    lo, hi = args.wait
    print(f"-- the morning: {args.users} reps, one action every {lo:g}–{hi:g} s, {args.duration} s", flush=True)
    result = run_locust(host=host, reps_file=reps_file, users=args.users, spawn_rate=10,
                        seconds=args.duration, wait=(lo, hi), prefix=out / "morning", reset_stats=False)
    worst, rate, errors = summarise(result)
    verdict = "met" if worst < TARGET_P95_MS and errors == 0 else "NOT met"
    print(f"   {rate:.1f} requests/s; goal p95 < {TARGET_P95_MS:.0f} ms on every kind, 0 errors: {verdict} "
          f"({machine(result)})", flush=True)


def ceiling(args: argparse.Namespace, *, host: str, reps_file: Path, out: Path) -> None:
    print(f"-- the ceiling: {args.step_seconds} s runs, the wait between actions stepped down: the highest rate "
          f"with every p95 < {TARGET_P95_MS:.0f} ms and no error, then on to saturation", flush=True)
    held, failed, best = None, False, (0.0, None)
    for mean in SWEEP_MEANS:
        wait = (mean * 0.5, mean * 1.5)
        result = run_locust(host=host, reps_file=reps_file, users=args.users, spawn_rate=args.users,
                            seconds=args.step_seconds, wait=wait, prefix=out / f"ceiling-{mean:g}",
                            reset_stats=True)
        print(f"   wait {wait[0]:g}–{wait[1]:g} s ({machine(result)}):", flush=True)
        worst, rate, errors = summarise(result)
        holds = worst < TARGET_P95_MS and not errors
        print(f"   -> {rate:.1f} requests/s, worst p95 {worst:.0f} ms, {errors} errors: "
              f"{'holds' if holds else 'does not hold'}", flush=True)
        if holds and not failed:
            held = (rate, mean, worst)
        failed = failed or not holds
        # Past the first failure, only on to where the rate stops rising (the machine's saturation).
        if failed and (rate < best[0] * 1.1 or worst > 5000 or not args.saturation):
            best = max(best, (rate, mean))
            break
        best = max(best, (rate, mean))
    if held:
        print(f"   highest rate with every p95 < {TARGET_P95_MS:.0f} ms and no error: {held[0]:.1f} requests/s "
              f"(mean wait {held[1]:g} s, worst p95 {held[2]:.0f} ms)", flush=True)
    else:
        print(f"   no rate held p95 < {TARGET_P95_MS:.0f} ms", flush=True)
    if args.saturation and best[1] is not None:
        print(f"   saturation: at most {best[0]:.1f} requests/s (mean wait {best[1]:g} s)", flush=True)


def main() -> None:
    from bench.__main__ import bench_database_url, setup_django

    args = arguments()
    database_url = bench_database_url()
    setup_django(database_url)
    from accounts.models import Account

    accounts = Account.objects.count()
    if not accounts:
        sys.exit("no accounts in the bench database: run `python -m bench --only recompute` first")
    out = (ROOT / args.out_dir) if not Path(args.out_dir).is_absolute() else Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    print(f"== load: {accounts:,} accounts in {database_url.rpartition('/')[2]}", flush=True)
    password = secrets.token_urlsafe(16)
    reps = prepare_reps(args.users, password)
    from django.db import connections

    connections.close_all()

    port = free_port()
    host = f"http://127.0.0.1:{port}"
    print(f"   gunicorn coverage_console.wsgi on {host}: {args.workers} workers × {args.threads} threads, "
          f"debug off", flush=True)
    with Server(database_url=database_url, port=port, workers=args.workers, threads=args.threads,
                log=out / "gunicorn.log"):
        started = time.perf_counter()
        for rep in reps:
            rep.update(log_in(host, rep["username"], password))
        print(f"   {len(reps)} reps signed in through /login/ ({time.perf_counter() - started:.1f} s, "
              f"before the timed runs)", flush=True)
        reps_file = out / "reps.json"
        reps_file.write_text(json.dumps(reps), encoding="utf-8")
        # Warm every worker (imports, connections, template caches) outside the figures.
        run_locust(host=host, reps_file=reps_file, users=args.users, spawn_rate=args.users, seconds=10,
                   wait=(0.5, 1.5), prefix=out / "warmup", reset_stats=False)
        if not args.no_morning:
            morning(args, host=host, reps_file=reps_file, out=out)
        if not args.no_ceiling:
            ceiling(args, host=host, reps_file=reps_file, out=out)
    print("   server stopped", flush=True)


if __name__ == "__main__":
    main()
