"""Timing helpers the dashboard benches share (bench.dashboards, bench.funnel): one timed step, and a page's server
time over several requests after a warm-up, through Django's test client in-process."""

from __future__ import annotations

import time


def timed(label: str, work, *, width: int = 56, show_result: bool = False) -> object:
    """Run `work()`, print how long it took (and what it returned, `show_result`), return its result."""
    started = time.perf_counter()
    result = work()
    shown = f"  {result}" if show_result else ""
    print(f"   {label:<{width}} {time.perf_counter() - started:7.1f} s{shown}", flush=True)
    return result


def request_samples(client, url: str, *, requests: int, warmup: int = 2):
    """The milliseconds of `requests` GETs of `url` after `warmup` untimed ones: (samples, None); or ([], the first
    response that was not a 200)."""
    samples: list[float] = []
    for i in range(requests + warmup):
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            return [], response
        if i >= warmup:
            samples.append(elapsed)
    return samples, None
