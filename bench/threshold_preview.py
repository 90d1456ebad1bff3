"""The state thresholds' preview at scale (docs/benchmarks.md, "threshold preview"): the background job's time
(segments.threshold_preview, run in-process here) for two proposals, next to one full night for the same date run in
one process and rolled back — what the former in-request preview ran twice.

On the recompute section's data (100k accounts / 1M touches unless --accounts / --touches; generated if missing),
after a night and a day's data (bench/whatif.py).
"""

from __future__ import annotations

import time

from bench import recompute, whatif

PROPOSALS = {
    "hot lead score 70 → 50": {"hot_lead_min_score": 50},
    "onboarding 183 → 90 days, loyal 2 deals": {"onboarding_days": 90, "loyal_min_won_deals": 2},
}


class _RolledBack(Exception):
    pass


def _full_night_rolled_back(as_of) -> float:
    from django.db import transaction

    from engine.services import recompute_all

    started = time.perf_counter()
    try:
        with transaction.atomic():
            recompute_all(as_of=as_of, full=True)
            raise _RolledBack
    except _RolledBack:
        pass
    return time.perf_counter() - started


def run(args) -> None:
    from core.models import User
    from engine.preview import CHUNK, next_night_as_of
    from segments.models import ThresholdPreviewJob
    from segments.threshold_preview import threshold_preview_request

    recompute._without_analysis_refresh()
    n_accounts = args.accounts or 100_000
    n_touches = args.touches or 1_000_000
    whatif._ensure_a_night(n_accounts, n_touches, args.reuse_data)
    as_of = next_night_as_of()
    night = _full_night_rolled_back(as_of)
    print(f"   one full night as of {as_of}, one process, rolled back: {night:.1f} s", flush=True)
    user, _created = User.objects.get_or_create(username="bench-manager", defaults={"role": "manager"})
    for label, changes in PROPOSALS.items():
        ThresholdPreviewJob.objects.filter(requested_by=user).delete()
        started = time.perf_counter()
        job, _created = threshold_preview_request(actor=user, changes=changes)  # in-process: computed here
        seconds = time.perf_counter() - started
        job.refresh_from_db()
        result = job.result or {}
        moved = sum(row["accounts"] for row in result.get("flow", []))
        print(f"   {label:<42} {job.status}: {seconds:6.1f} s = {seconds / night:4.2f}× a full night "
              f"({seconds / max(1, -(-n_accounts // CHUNK)):.2f} s per chunk of {CHUNK:,}) | {moved:,} accounts "
              f"change state; under-covered {result['current']['under_covered_accounts']:,} → "
              f"{result['proposed']['under_covered_accounts']:,}" if result else f"   {label}: {job.status} {job.error}",
              flush=True)
