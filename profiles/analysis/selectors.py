"""Set-based reads for the ICP analysis pages (issue #5).

Every figure is a GROUP BY or an aggregate in the database, over the SQL form of a profile's criteria and fit
(``profiles.fit_sql``), so a histogram over a million accounts is one query returning at most 101 rows, never a
loop over accounts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When, Window
from django.db.models.functions import FirstValue, Lower, Trim

from accounts.models import Account, Opportunity
from contacts.models import Touch
from core.choices import State
from segments.models import StateTransition

from . import domain

from ..fit_sql import NEVER, criterion_condition, fit_expression, match_flag, tier_expression
from ..scoring import Criterion, ProfileSpec, account_attributes, criterion_matches, profile_fit, tier_for

CUSTOMER_STATES: tuple[str, ...] = (State.ONBOARDING, State.LOYAL, State.ACTIVE)


def target_accounts() -> QuerySet[Account]:
    """The target market as docs/rules.md §9 counts it: classified accounts that are not OUT_OF_SCOPE."""
    return Account.objects.exclude(state__in=["", State.OUT_OF_SCOPE])



# --- review -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionHits:
    index: int
    criterion: Criterion
    hits: int
    total: int

    @property
    def pct(self) -> float | None:
        return round(100 * self.hits / self.total, 1) if self.total else None


@dataclass(frozen=True)
class Review:
    total: int
    histogram: list[domain.Bucket]
    tiers: dict[str, int]
    hits: list[CriterionHits]
    top: list[dict]
    bottom: list[dict]


MAX_COMBINATION_CRITERIA = 12


def fit_counts_and_hits(spec: ProfileSpec) -> tuple[dict[int, int], list[CriterionHits]]:
    """{fit: number of target accounts} and each criterion's hits, from one scan.

    Accounts are grouped by which criteria they match (at most 2^k rows for k criteria); the fit is a function
    of that combination, so the histogram, the tiers and the hit rates all follow from those few rows.
    Profiles with more than 12 criteria take two queries instead (fit GROUP BY, then one aggregate).
    """
    criteria = spec.criteria
    if not criteria:
        return ({0: target_accounts().count()} if target_accounts().exists() else {}), []
    if len(criteria) > MAX_COMBINATION_CRITERIA:
        rows = target_accounts().annotate(fit=fit_expression(spec)).values("fit").annotate(n=Count("id")).order_by()
        counts = target_accounts().aggregate(
            total=Count("id"), **{f"c{i}": Count("id", filter=criterion_condition(c)) for i, c in enumerate(criteria)})
        return ({int(r["fit"]): r["n"] for r in rows},
                [CriterionHits(i, c, counts[f"c{i}"], counts["total"]) for i, c in enumerate(criteria)])
    flags = {f"m{i}": match_flag(criterion_condition(c)) for i, c in enumerate(criteria)}
    # Grouped outside a subquery so each condition is evaluated once per account (not again for GROUP BY).
    inner, params = target_accounts().annotate(**flags).values(*flags).order_by().query.sql_with_params()
    names = ", ".join(f"t.{connection.ops.quote_name(f)}" for f in flags)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {names}, COUNT(*) FROM ({inner}) t GROUP BY {names}", params)
        combos = [{**dict(zip(flags, row[:-1])), "n": int(row[-1])} for row in cursor.fetchall()]
    total_weight = sum(c.weight for c in criteria)
    fits: dict[int, int] = {}
    hits = [0] * len(criteria)
    total = 0
    for combo in combos:
        got = 0
        for i, c in enumerate(criteria):
            if combo[f"m{i}"]:
                got += c.weight
                hits[i] += combo["n"]
        fit = (200 * got + total_weight) // (2 * total_weight) if total_weight > 0 else 0
        fits[fit] = fits.get(fit, 0) + combo["n"]
        total += combo["n"]
    return fits, [CriterionHits(i, c, hits[i], total) for i, c in enumerate(criteria)]


def fit_counts(spec: ProfileSpec) -> dict[int, int]:
    return fit_counts_and_hits(spec)[0]


def criterion_hits(spec: ProfileSpec) -> list[CriterionHits]:
    return fit_counts_and_hits(spec)[1]


def ranked_accounts(spec: ProfileSpec, *, best: bool, limit: int = 20) -> list[dict]:
    order = ("-fit", "name", "id") if best else ("fit", "name", "id")
    return list(target_accounts().annotate(fit=fit_expression(spec)).order_by(*order)
                .values("id", "name", "external_id", "industry", "state", "fit")[:limit])


def profile_review(spec: ProfileSpec, *, limit: int = 20) -> Review:
    counts, hits = fit_counts_and_hits(spec)
    return Review(
        total=sum(counts.values()), histogram=domain.histogram(counts), tiers=domain.tier_counts(counts, spec.tiers),
        hits=hits, top=ranked_accounts(spec, best=True, limit=limit),
        bottom=ranked_accounts(spec, best=False, limit=limit),
    )


def account_search(query: str, *, limit: int = 20) -> list[Account]:
    query = (query or "").strip()
    if not query:
        return []
    return list(Account.objects.filter(Q(name__icontains=query) | Q(external_id=query)).order_by("name", "id")[:limit])


# --- explanation --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExplainedCriterion:
    criterion: Criterion
    account_value: Any
    matched: bool

    @property
    def got(self) -> int:
        return self.criterion.weight if self.matched else 0

    @property
    def missed(self) -> int:
        return 0 if self.matched else self.criterion.weight


@dataclass(frozen=True)
class Explanation:
    fit: int
    tier: str
    got: int
    total: int
    rows: list[ExplainedCriterion]


def account_explanation(account: Account, spec: ProfileSpec) -> Explanation:
    """Points got and missed per criterion, by the same scoring the nightly job uses."""
    attributes = account_attributes({name: getattr(account, name) for name in account_attributes({})})
    fit, _matched = profile_fit(attributes, spec)
    rows = [ExplainedCriterion(c, attributes.get(c.attribute), criterion_matches(c, attributes)) for c in spec.criteria]
    return Explanation(fit=fit, tier=tier_for(fit, spec.tiers), got=sum(r.got for r in rows),
                       total=sum(c.weight for c in spec.criteria), rows=rows)


# --- learning from the best customers -------------------------------------------------------------------------


def best_customers_condition(*, loyal: bool = True, active_min_wins: int | None = 2) -> Q:
    """LOYAL accounts, and/or ACTIVE accounts with at least ``active_min_wins`` won deals."""
    condition = NEVER
    if loyal:
        condition = Q(state=State.LOYAL)
    if active_min_wins is not None:
        repeat_winners = (Opportunity.objects.filter(status=Opportunity.Status.WON).values("account_id")
                          .annotate(wins=Count("id")).filter(wins__gte=max(1, active_min_wins)).values("account_id"))
        condition = condition | Q(state=State.ACTIVE, id__in=repeat_winners)
    return condition


def _list_value_counts(queryset: QuerySet, attribute: str, flags: Sequence[str]) -> dict[str, dict[str, int]]:
    """{element: {"n": accounts holding it, flag: accounts holding it with flag = 1}} of a JSON list attribute,
    grouped in the database (the account rows are never fetched)."""
    inner, params = queryset.values("id", attribute, *flags).query.sql_with_params()
    qn = connection.ops.quote_name
    column = f"t.{qn(attribute)}"
    if connection.vendor == "postgresql":
        # Each account's distinct elements first (a tiny per-row DISTINCT), so plain COUNT/SUM hash-aggregate:
        # no COUNT(DISTINCT …) sort over the exploded rows.
        source = (f"CROSS JOIN LATERAL (SELECT DISTINCT lower(btrim(x)) AS v FROM jsonb_array_elements_text("
                  f"CASE WHEN jsonb_typeof({column}) = 'array' THEN {column} ELSE '[]'::jsonb END) AS x) AS e")
        counted = "".join(f", SUM(t.{qn(f)})" for f in flags)
        sql = f"SELECT e.v, COUNT(*){counted} FROM ({inner}) t {source} WHERE e.v <> '' GROUP BY e.v"
    else:
        source = f", json_each(CASE WHEN json_type({column}) = 'array' THEN {column} ELSE '[]' END) AS e"
        value = "lower(trim(e.value))"
        counted = "".join(f", COUNT(DISTINCT CASE WHEN t.{qn(f)} = 1 THEN t.{qn('id')} END)" for f in flags)
        sql = (f"SELECT {value} AS v, COUNT(DISTINCT t.{qn('id')}){counted} FROM ({inner}) t {source} "
               f"WHERE {value} <> '' GROUP BY {value}")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: {"n": int(row[1]), **{f: int(row[2 + i] or 0) for i, f in enumerate(flags)}}
                for row in cursor.fetchall()}


def category_values(targets: QuerySet, attribute: str) -> QuerySet:
    """The accounts with ``v`` = the attribute trimmed and lower-cased, blanks left out."""
    return targets.annotate(v=Lower(Trim(attribute))).exclude(v="")


def band_expression(attribute: str, bands: Sequence[domain.Band]) -> Case:
    """The index of the numeric band an account's value falls in (for accounts with a value)."""
    return Case(*[When(**{f"{attribute}__lt": b.high}, then=Value(b.index)) for b in bands if b.high is not None],
                default=Value(bands[-1].index), output_field=IntegerField())



@dataclass(frozen=True)
class Learning:
    best_total: int
    all_total: int
    rows: list[domain.LiftRow]
    suggestions: list[domain.Suggestion]


def best_customer_learning(*, loyal: bool = True, active_min_wins: int | None = 2,
                           min_sample: int = domain.MIN_SAMPLE) -> Learning:
    """Shares and lift of every value and numeric band, best customers vs all target accounts.

    One query for the totals and one GROUP BY per attribute (11 in all), whatever the number of accounts.
    """
    best_q = best_customers_condition(loyal=loyal, active_min_wins=active_min_wins)
    targets = target_accounts()
    totals = targets.aggregate(all=Count("id"), best=Count("id", filter=best_q))
    best_total, all_total = totals["best"], totals["all"]
    rows: list[domain.LiftRow] = []

    def add(attribute: str, kind: str, counts: Mapping[Any, tuple[int, int]], **extra) -> None:
        rows.extend(domain.lift_rows(
            attribute=attribute, kind=kind, best={k: v[0] for k, v in counts.items()},
            all_targets={k: v[1] for k, v in counts.items()}, best_total=best_total, all_total=all_total,
            min_sample=min_sample, **extra))

    for attribute in domain.CATEGORY_ATTRIBUTES:
        grouped = (category_values(targets, attribute).values("v")
                   .annotate(n=Count("id"), b=Count("id", filter=best_q)).order_by())
        add(attribute, "category", {r["v"]: (r["b"], r["n"]) for r in grouped})
    for attribute in domain.BOOLEAN_ANALYSIS_ATTRIBUTES:
        grouped = (targets.filter(**{f"{attribute}__isnull": False}).values(attribute)
                   .annotate(n=Count("id"), b=Count("id", filter=best_q)).order_by())
        add(attribute, "boolean", {r[attribute]: (r["b"], r["n"]) for r in grouped},
            labels={True: "yes", False: "no"})
    for attribute, edges in domain.NUMERIC_BAND_EDGES.items():
        bands = domain.bands_for(edges)
        band = band_expression(attribute, bands)
        grouped = (targets.filter(**{f"{attribute}__isnull": False}).annotate(band=band).values("band")
                   .annotate(n=Count("id"), b=Count("id", filter=best_q)).order_by())
        add(attribute, "band", {r["band"]: (r["b"], r["n"]) for r in grouped}, bands=bands)
    flagged = targets.annotate(best_flag=match_flag(best_q))
    for attribute in domain.LIST_ANALYSIS_ATTRIBUTES:
        counts = _list_value_counts(flagged, attribute, ["best_flag"])
        add(attribute, "list", {v: (c["best_flag"], c["n"]) for v, c in counts.items()})
    return Learning(best_total=best_total, all_total=all_total, rows=rows,
                    suggestions=domain.suggest_criteria(rows))


# --- validation ---------------------------------------------------------------------------------------------


def outcomes_by_tier(spec: ProfileSpec, *, start: dt.date, end: dt.date, label: str,
                     min_sample: int = domain.MIN_SAMPLE) -> domain.VersionOutcome:
    """Tiers as this version would give them today, against what happened in [start, end] (see below)."""
    return outcomes_by_tier_of_versions([(label, spec)], start=start, end=end, min_sample=min_sample)[0]


def outcomes_by_tier_of_versions(versions: Sequence[tuple[str, ProfileSpec]], *, start: dt.date, end: dt.date,
                                 min_sample: int = domain.MIN_SAMPLE) -> list[domain.VersionOutcome]:
    """Tiers as each version would give them today, against what happened in [start, end]:
    deals closed (won or lost) in the period, and customers who churned in it.

    A customer of the period is an account whose state on ``start`` (its latest transition up to then) was a
    customer state, or that entered one during the period; it churned if it moved to CHURNED in the period.
    Two queries whatever the number of versions: each reads the accounts once and groups by every version's
    tier at the same time (the period's deals and customers do not depend on the version, only the tiers do).
    """
    tier_names = [f"tier_{i}" for i in range(len(versions))]

    def with_tiers(queryset: QuerySet, prefix: str = "") -> QuerySet:
        for i, (_label, spec) in enumerate(versions):
            queryset = queryset.annotate(**{f"fit_{i}": fit_expression(spec, prefix=prefix)})
            queryset = queryset.annotate(**{tier_names[i]: tier_expression(spec, fit_name=f"fit_{i}")})
        return queryset

    deals = (with_tiers(Opportunity.objects.filter(status__in=[Opportunity.Status.WON, Opportunity.Status.LOST],
                                                   closed_on__gte=start, closed_on__lte=end)
                        # Joins the account table under its own name, which the JSON-list conditions refer to.
                        .filter(account__external_id__isnull=False), prefix="account__")
             .values(*tier_names)
             .annotate(closed=Count("id"), won=Count("id", filter=Q(status=Opportunity.Status.WON)))
             .order_by())
    # Customers on ``start``: each account's latest move up to then, found for all accounts in one pass over the
    # history (a window per account), not looked up account by account.
    customers_on_start = (StateTransition.objects.filter(as_of__lte=start)
                          .annotate(state_on_start=Window(FirstValue("to_state"), partition_by=[F("account_id")],
                                                          order_by=[F("as_of").desc(), F("id").desc()]))
                          .filter(state_on_start__in=CUSTOMER_STATES).values("account_id"))
    entered = StateTransition.objects.filter(to_state__in=CUSTOMER_STATES, as_of__gte=start, as_of__lte=end)
    churned_in_period = StateTransition.objects.filter(account_id=OuterRef("pk"), to_state=State.CHURNED,
                                                       as_of__gte=start, as_of__lte=end)
    customers_rows = (with_tiers(Account.objects.filter(Q(id__in=customers_on_start)
                                                        | Q(id__in=entered.values("account_id"))))
                      .values(*tier_names)
                      .annotate(customers=Count("id"), churned=Count("id", filter=Q(Exists(churned_in_period))))
                      .order_by())
    counts: list[dict[str, dict[str, int]]] = [
        {"won": {}, "closed": {}, "churned": {}, "customers": {}} for _ in versions]
    for rows, names in ((deals, ("won", "closed")), (customers_rows, ("churned", "customers"))):
        for row in rows:
            for i, tier_name in enumerate(tier_names):
                for name in names:
                    by_tier = counts[i][name]
                    by_tier[row[tier_name]] = by_tier.get(row[tier_name], 0) + row[name]
    return [domain.version_outcome(label=label, min_sample=min_sample, **counts[i])
            for i, (label, _spec) in enumerate(versions)]


# --- breadth ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BreadthRow:
    key: str
    accounts: int
    touched_30d: int
    touched_90d: int

    @property
    def pct_30(self) -> int:
        return round(100 * self.touched_30d / self.accounts) if self.accounts else 0

    @property
    def pct_90(self) -> int:
        return round(100 * self.touched_90d / self.accounts) if self.accounts else 0


@dataclass(frozen=True)
class Breadth:
    as_of: dt.date
    total: BreadthRow
    by_state: list[BreadthRow]
    by_industry: list[BreadthRow]
    by_region: list[BreadthRow]


def _touched(as_of: dt.date, days: int) -> Exists:
    start = as_of - dt.timedelta(days=days - 1)
    return Exists(Touch.objects.filter(account_id=OuterRef("pk"), occurred_on__gte=start, occurred_on__lte=as_of))


def breadth_by_segment(*, as_of: dt.date, limit: int = 30) -> Breadth:
    """Tier A/B target accounts (their stored best-profile tier) touched in the last 30/90 days as of ``as_of``,
    overall and by state, industry and region (each element of the account's regions list): four queries."""
    population = target_accounts().filter(icp_tier__in=["A", "B"])
    t30, t90 = _touched(as_of, 30), _touched(as_of, 90)
    counters = {"n": Count("id"), "t30": Count("id", filter=Q(t30)), "t90": Count("id", filter=Q(t90))}

    def rows(grouped, key: str) -> list[BreadthRow]:
        result = [BreadthRow(r[key] or "—", r["n"], r["t30"], r["t90"]) for r in grouped]
        result.sort(key=lambda r: (-r.accounts, r.key))
        return result[:limit]

    total = population.aggregate(**counters)
    by_state = rows(population.values("state").annotate(**counters).order_by(), "state")
    order = {s: i for i, s in enumerate(State.values)}
    by_state.sort(key=lambda r: order.get(r.key, 99))
    by_industry = rows(population.annotate(v=Lower(Trim("industry"))).values("v").annotate(**counters).order_by(), "v")
    flagged = population.annotate(t30_flag=match_flag(Q(t30)), t90_flag=match_flag(Q(t90)))
    regions = _list_value_counts(flagged, "regions", ["t30_flag", "t90_flag"])
    by_region = [BreadthRow(v, c["n"], c["t30_flag"], c["t90_flag"]) for v, c in regions.items()]
    by_region.sort(key=lambda r: (-r.accounts, r.key))
    return Breadth(as_of=as_of, total=BreadthRow("all", total["n"], total["t30"], total["t90"]),
                   by_state=by_state, by_industry=by_industry, by_region=by_region[:limit])
