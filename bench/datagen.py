"""Deterministic CSV generators shared by the benchmark sections."""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

INDUSTRIES = ("manufacturing", "it", "retail", "logistics", "finance")
PREFECTURES = ("東京都", "大阪府", "愛知県", "福岡県", "北海道")


def write_accounts_csv(path: Path, n: int, seed: int = 1) -> Path:
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["external_id", "name", "industry", "listed", "employees", "annual_revenue", "departments",
                    "regions", "prefecture", "is_target"])
        for i in range(n):
            w.writerow([f"B{i:07d}", f"株式会社ベンチ{i}", rng.choice(INDUSTRIES), rng.choice(("true", "false")),
                        rng.randint(5, 20000), rng.randint(1, 9999) * 1_000_000, "marketing;sales", "関東",
                        rng.choice(PREFECTURES), "true"])
    return path


def write_touches_csv(path: Path, n_touches: int, n_accounts: int, seed: int = 2) -> Path:
    rng = random.Random(seed)
    start = dt.datetime(2025, 7, 1, 9, 0)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["external_id", "account_external_id", "occurred_at", "kind", "channel", "performer_role"])
        for i in range(n_touches):
            when = start + dt.timedelta(minutes=rng.randint(0, 365 * 24 * 60))
            human = rng.random() < 0.4
            w.writerow([f"T{i:08d}", f"B{rng.randrange(n_accounts):07d}", when.strftime("%Y-%m-%dT%H:%M:00+09:00"),
                        "human" if human else "digital", "visit" if human else "email", "sales" if human else "marketing"])
    return path
