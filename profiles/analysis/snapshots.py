"""The precomputed ICP analyses (issue #5 at a million accounts): the set-based reads of analysis.selectors
run in a background job, their aggregates are stored as JSON in ProfileAnalysis, and the pages rebuild the
same dataclasses from that JSON with the arithmetic of analysis.domain — no scan of the accounts per request.

Each ``*_data`` function computes what one snapshot stores; each ``*_from_data`` function turns it back into
what the live selector returns. Tests compare both on the same accounts, so precomputation cannot drift.

Learning keeps raw counts, not lifts: per attribute value the number of target accounts, of LOYAL accounts and
of ACTIVE accounts by their number of won deals (1 … MAX_REPEAT_WINS, the last meaning "or more"). Any choice
of best customers (loyal and/or active with ≥ N wins) is a sum of those groups, and any minimum sample
applies to the summed counts, so the page answers every choice of its form from one stored row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import connection
from django.db.models import Count, F, QuerySet

from accounts.models import Account, Opportunity
from core.choices import State

from ..scoring import ProfileSpec
from . import domain
from . import selectors as sel

LOYAL_GROUP = "loyal"


def _wins_group(wins: int) -> str:
    return f"w{wins}"


# --- review -----------------------------------------------------------------------------------------------


def review_data(spec: ProfileSpec, *, limit: int = 20) -> dict:
    """Fit counts, hits per criterion and the top and bottom accounts of one version (three scans)."""
    counts, hits = sel.fit_counts_and_hits(spec)
    return {
        "fit_counts": sorted([int(fit), int(n)] for fit, n in counts.items()),
        "hits": [h.hits for h in hits],
        "total": sum(counts.values()),
        "top": [dict(row) for row in sel.ranked_accounts(spec, best=True, limit=limit)],
        "bottom": [dict(row) for row in sel.ranked_accounts(spec, best=False, limit=limit)],
    }


def review_from_data(data: Mapping, spec: ProfileSpec) -> sel.Review:
    counts = {int(fit): int(n) for fit, n in data.get("fit_counts", [])}
    total = int(data.get("total", 0))
    hits = list(data.get("hits", []))
    return sel.Review(
        total=total, histogram=domain.histogram(counts), tiers=domain.tier_counts(counts, spec.tiers),
        hits=[sel.CriterionHits(i, c, int(hits[i]) if i < len(hits) else 0, total)
              for i, c in enumerate(spec.criteria)],
        top=list(data.get("top", [])), bottom=list(data.get("bottom", [])),
    )


# --- learning -----------------------------------------------------------------------------------------------


def _grouped_sql(queryset: QuerySet) -> tuple[str, tuple]:
    """The accounts of ``queryset`` (selecting id, state and the analysed column) with their best-customer
    group ``g``: -1 LOYAL, n ≥ 0 ACTIVE with n won deals (capped), NULL otherwise. Won deals are counted once
    per query and hash-joined, never looked up account by account."""
    inner, params = queryset.query.sql_with_params()
    qn = connection.ops.quote_name
    cap = domain.MAX_REPEAT_WINS
    wins = (f"SELECT {qn('account_id')}, COUNT(*) AS n FROM {qn(Opportunity._meta.db_table)} "
            f"WHERE {qn('status')} = %s GROUP BY {qn('account_id')}")
    sql = (f"SELECT t.*, CASE WHEN t.{qn('state')} = %s THEN -1 WHEN t.{qn('state')} = %s THEN "
           f"CASE WHEN COALESCE(w.n, 0) > {cap} THEN {cap} ELSE COALESCE(w.n, 0) END END AS g "
           f"FROM ({inner}) t LEFT JOIN ({wins}) w ON w.{qn('account_id')} = t.{qn('id')}")
    return sql, (State.LOYAL, State.ACTIVE, *params, Opportunity.Status.WON)


def _counts(rows) -> list[list]:
    """[[value, accounts, {group: accounts}], …] from (value, g, n) rows."""
    by_value: dict[Any, list] = {}
    for value, group, n in rows:
        entry = by_value.setdefault(value, [value, 0, {}])
        entry[1] += int(n)
        if group == -1:
            entry[2][LOYAL_GROUP] = entry[2].get(LOYAL_GROUP, 0) + int(n)
        elif group is not None and int(group) >= 1:
            key = _wins_group(int(group))
            entry[2][key] = entry[2].get(key, 0) + int(n)
    return list(by_value.values())


def _scalar_counts(queryset: QuerySet) -> list[list]:
    grouped, params = _grouped_sql(queryset.values("id", "state", "v").order_by())
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT x.v, x.g, COUNT(*) FROM ({grouped}) x GROUP BY x.v, x.g", params)
        return _counts(cursor.fetchall())


def _list_counts(queryset: QuerySet, attribute: str) -> list[list]:
    """Like selectors._list_value_counts: each account counted once per distinct trimmed,
    lower-cased element of its JSON list."""
    grouped, params = _grouped_sql(queryset.values("id", "state", attribute).order_by())
    column = f"x.{connection.ops.quote_name(attribute)}"
    if connection.vendor == "postgresql":
        sql = (f"SELECT e.v, x.g, COUNT(*) FROM ({grouped}) x CROSS JOIN LATERAL (SELECT DISTINCT lower(btrim(y)) AS v "
               f"FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof({column}) = 'array' THEN {column} "
               f"ELSE '[]'::jsonb END) AS y) AS e WHERE e.v <> '' GROUP BY e.v, x.g")
    else:
        value = "lower(trim(e.value))"
        sql = (f"SELECT {value}, x.g, COUNT(DISTINCT x.id) FROM ({grouped}) x, json_each(CASE WHEN "
               f"json_type({column}) = 'array' THEN {column} ELSE '[]' END) AS e WHERE {value} <> '' "
               f"GROUP BY {value}, x.g")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return _counts(cursor.fetchall())


def learning_data() -> dict:
    """Raw counts per value of every analysed attribute, by best-customer group: one GROUP BY per attribute
    (11) plus one for the totals."""
    targets = sel.target_accounts()
    grouped, params = _grouped_sql(targets.values("id", "state").order_by())
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 0, x.g, COUNT(*) FROM ({grouped}) x GROUP BY x.g", params)
        totals = _counts(cursor.fetchall())
    attributes: list[dict] = []
    for attribute in domain.CATEGORY_ATTRIBUTES:
        attributes.append({"attribute": attribute, "kind": "category",
                           "values": _scalar_counts(sel.category_values(targets, attribute))})
    for attribute in domain.BOOLEAN_ANALYSIS_ATTRIBUTES:
        values = targets.filter(**{f"{attribute}__isnull": False}).annotate(v=F(attribute))
        attributes.append({"attribute": attribute, "kind": "boolean", "values": _scalar_counts(values)})
    for attribute, edges in domain.NUMERIC_BAND_EDGES.items():
        values = (targets.filter(**{f"{attribute}__isnull": False})
                  .annotate(v=sel.band_expression(attribute, domain.bands_for(edges))))
        attributes.append({"attribute": attribute, "kind": "band", "values": _scalar_counts(values)})
    for attribute in domain.LIST_ANALYSIS_ATTRIBUTES:
        attributes.append({"attribute": attribute, "kind": "list", "values": _list_counts(targets, attribute)})
    total = totals[0] if totals else [0, 0, {}]
    return {"all_total": total[1], "total_groups": total[2], "attributes": attributes,
            "max_repeat_wins": domain.MAX_REPEAT_WINS}


def _best(groups: Mapping[str, int], *, loyal: bool, active_min_wins: int | None) -> int:
    n = int(groups.get(LOYAL_GROUP, 0)) if loyal else 0
    if active_min_wins is not None:
        n += sum(int(groups.get(_wins_group(k), 0)) for k in range(max(1, active_min_wins), domain.MAX_REPEAT_WINS + 1))
    return n


def learning_from_data(data: Mapping, *, loyal: bool = True, active_min_wins: int | None = 2,
                       min_sample: int = domain.MIN_SAMPLE) -> sel.Learning:
    """The lift table and suggestions for one choice of best customers, from the stored counts."""
    if active_min_wins is not None and active_min_wins > int(data.get("max_repeat_wins", domain.MAX_REPEAT_WINS)):
        raise ValueError(f"won deals at least {active_min_wins}: the counts stop at {domain.MAX_REPEAT_WINS}")
    best_total = _best(data.get("total_groups", {}), loyal=loyal, active_min_wins=active_min_wins)
    all_total = int(data.get("all_total", 0))
    rows: list[domain.LiftRow] = []
    for entry in data.get("attributes", []):
        kind, attribute = entry["kind"], entry["attribute"]
        extra: dict = {}
        if kind == "boolean":
            extra["labels"] = {True: "yes", False: "no"}
        elif kind == "band":
            extra["bands"] = domain.bands_for(domain.NUMERIC_BAND_EDGES[attribute])
        values = entry.get("values", [])
        rows.extend(domain.lift_rows(
            attribute=attribute, kind=kind,
            best={v: _best(groups, loyal=loyal, active_min_wins=active_min_wins) for v, _n, groups in values},
            all_targets={v: n for v, n, _groups in values}, best_total=best_total, all_total=all_total,
            min_sample=min_sample, **extra))
    return sel.Learning(best_total=best_total, all_total=all_total, rows=rows,
                        suggestions=domain.suggest_criteria(rows))


# --- breadth --------------------------------------------------------------------------------------------------


def _row(r: sel.BreadthRow) -> list:
    return [r.key, r.accounts, r.touched_30d, r.touched_90d]


def breadth_data(*, as_of: dt.date) -> dict:
    breadth = sel.breadth_by_segment(as_of=as_of)
    return {"as_of": as_of.isoformat(), "total": _row(breadth.total), "by_state": [_row(r) for r in breadth.by_state],
            "by_industry": [_row(r) for r in breadth.by_industry], "by_region": [_row(r) for r in breadth.by_region]}


def breadth_from_data(data: Mapping) -> sel.Breadth:
    def rows(key: str) -> list[sel.BreadthRow]:
        return [sel.BreadthRow(*r) for r in data.get(key, [])]

    return sel.Breadth(as_of=dt.date.fromisoformat(data["as_of"]), total=sel.BreadthRow(*data["total"]),
                       by_state=rows("by_state"), by_industry=rows("by_industry"), by_region=rows("by_region"))


# --- accounts per profile and tier (the profile list and page) ----------------------------------------------


def tier_counts_data() -> dict:
    """{profile id: {tier: accounts whose stored best fit comes from it}}: one GROUP BY over the accounts."""
    counts: dict[str, dict[str, int]] = {}
    for row in (Account.objects.filter(icp_profile__isnull=False).values("icp_profile_id", "icp_tier")
                .annotate(n=Count("id")).order_by()):
        counts.setdefault(str(row["icp_profile_id"]), {})[row["icp_tier"]] = row["n"]
    return {"profiles": counts}
