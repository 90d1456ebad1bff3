"""The reps of `make bench-load` (bench/load.py starts this with locust, headless; docs/benchmarks.md).

Each locust user is one rep of the file LOAD_REPS names, already signed in (its session and CSRF cookies were
made by logging in through /login/ before the timed window), and acts every LOAD_WAIT_MIN–LOAD_WAIT_MAX seconds:

- **Today** — `GET /today/` (weight 2);
- **accounts list** — `GET /accounts/` (weight 2), half the time with a filter a rep would use (their own
  accounts, by state, under-covered, a name search), reported as its own kind;
- **touches** — `POST /api/v1/touches/` (weight 1): one touch logged now on one of the rep's accounts, as the API
  takes it (docs/api.md §5), with the session and the CSRF header as the browser's htmx would.

A request counts as an error unless it answers exactly 200 (201 for the touch): a redirect to the login page is
an error here, not a page. No Django import: this runs in locust's own (gevent) process.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random

import gevent
from locust import FastHttpUser, between, task

with open(os.environ.get("LOAD_REPS", "bench-data/load/reps.json"), encoding="utf-8") as _f:
    REPS: list[dict] = json.load(_f)
_next_rep = itertools.count()

JST = dt.timezone(dt.timedelta(hours=9))
STATES = ("NEGOTIATION", "HOT_LEAD", "ONBOARDING", "LOYAL", "ACTIVE", "LEAD", "TARGET_NO_LEAD")
CHANNELS = {"human": ("phone", "visit", "online_meeting"), "digital": ("email",)}


class Rep(FastHttpUser):
    wait_time = between(float(os.environ.get("LOAD_WAIT_MIN", "5")), float(os.environ.get("LOAD_WAIT_MAX", "15")))

    def on_start(self) -> None:
        self.rep = REPS[next(_next_rep) % len(REPS)]
        self.rng = random.Random(self.rep["user_id"])
        self.cookie = f"sessionid={self.rep['sessionid']}; csrftoken={self.rep['csrftoken']}"
        # Reps do not all act in the same second: each starts somewhere within its first wait.
        gevent.sleep(self.rng.uniform(0, self.wait_time()))

    def _get(self, url: str, name: str) -> None:
        with self.client.get(url, name=name, headers={"Cookie": self.cookie}, allow_redirects=False,
                             catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")

    @task(2)
    def today(self) -> None:
        self._get("/today/", "Today")

    @task(2)
    def accounts(self) -> None:
        if self.rng.random() < 0.5:
            self._get("/accounts/", "accounts list")
            return
        me = self.rep["user_id"]
        url = self.rng.choice((
            f"/accounts/?owner={me}",
            f"/accounts/?owner={me}&state={self.rng.choice(STATES)}",
            f"/accounts/?owner={me}&under_covered=true",
            f"/accounts/?q={self.rng.choice(self.rep['names'])}",
        ))
        self._get(url, "accounts list, filtered")

    @task(1)
    def touch(self) -> None:
        kind = "human" if self.rng.random() < 0.7 else "digital"
        body = {
            "account_external_id": self.rng.choice(self.rep["accounts"]),
            "occurred_at": dt.datetime.now(JST).isoformat(timespec="seconds"),
            "kind": kind,
            "channel": self.rng.choice(CHANNELS[kind]),
        }
        headers = {"Cookie": self.cookie, "X-CSRFToken": self.rep["csrftoken"], "Content-Type": "application/json"}
        with self.client.post("/api/v1/touches/", name="touches (API)", data=json.dumps(body), headers=headers,
                              allow_redirects=False, catch_response=True) as response:
            if response.status_code != 201:
                response.failure(f"HTTP {response.status_code}: {response.text[:200] if response.text else ''}")
