"""Set-based reads for the ICP analysis pages (issue #5).

Every figure is a GROUP BY or an aggregate in the database: a profile's criteria are compiled into SQL
conditions (``criterion_condition``) and its fit into one integer expression (``fit_expression``), so a
histogram over a million accounts is one query returning at most 101 rows, never a loop over accounts.
The compiled conditions follow ``profiles.scoring.criterion_matches`` (tests compare both on the same
accounts); the known differences are noted where they arise: text that merely looks like a number is
compared as text, and ``gt``/``lt``/``between`` on a text attribute never match in SQL; SQL lower-cases and
trims ASCII only. ``inexact_condition`` names the accounts where any of this can matter, which the rescoring
scores in Python (``best_fit_rows_sql`` computes the best fit of all the others).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import FirstValue, Lower, Trim
from django.db.models.lookups import Exact, In

from accounts.models import Account, Opportunity
from contacts.models import Touch
from core.choices import State
from segments.models import StateTransition

from . import analysis
from .models import IcpProfile, IcpProfileVersion
from .scoring import (
    BOOLEAN_ATTRIBUTES,
    LIST_ATTRIBUTES,
    NUMERIC_ATTRIBUTES,
    TEXT_ATTRIBUTES,
    Criterion,
    ProfileSpec,
    _boolean,
    _number,
    _text,
    account_attributes,
    criterion_matches,
    profile_fit,
    spec_from_version,
    tier_for,
)

CUSTOMER_STATES: tuple[str, ...] = (State.ONBOARDING, State.LOYAL, State.ACTIVE)
POSITIVE_OPS = ("eq", "in", "contains", "contains_any")
NEGATIVE_OPS = ("ne", "not_in")
TRUE_WORDS = ("true", "1", "yes", "はい")
FALSE_WORDS = ("false", "0", "no", "いいえ")


def target_accounts() -> QuerySet[Account]:
    """The target market as coverage-rules §9 counts it: classified accounts that are not OUT_OF_SCOPE."""
    return Account.objects.exclude(state__in=["", State.OUT_OF_SCOPE])


def version_spec(profile: IcpProfile, version: IcpProfileVersion | None = None) -> ProfileSpec:
    version = version or profile.current_version
    return spec_from_version(profile_id=profile.id, name=profile.name, criteria=version.criteria if version else [],
                             tiers=version.tiers if version else None)


# --- criteria as SQL ----------------------------------------------------------------------------------------

NEVER = Q(pk__in=[])  # matches nothing, on every backend


def _values(expected: Any) -> list:
    return list(expected) if isinstance(expected, (list, tuple, set)) else [expected]


def _norm(value: Any) -> str:
    return _text(value)


def _wanted_texts(expected: Any) -> list[str]:
    """The normalised texts a text value must equal to match one of ``expected`` as ``scoring._equal`` reads it:
    a yes/no value matches the yes/no words, anything else its trimmed, case-folded text (None reads "none")."""
    wanted: list[str] = []
    for v in _values(expected):
        if isinstance(v, bool):
            wanted.extend(TRUE_WORDS if v else FALSE_WORDS)
        else:
            wanted.append(_norm(v))
    return list(dict.fromkeys(wanted))


def _step(attribute: str) -> Decimal:
    """The smallest difference between two values of a numeric column (1, or 0.01 for a 2-place decimal)."""
    field = Account._meta.get_field(attribute)
    return Decimal(1).scaleb(-field.decimal_places) if isinstance(field, DecimalField) else Decimal(1)


def _limit(attribute: str) -> Decimal:
    field = Account._meta.get_field(attribute)
    return Decimal(10) ** (field.max_digits - field.decimal_places)


def _on_step(number: Decimal, step: Decimal, attribute: str) -> bool:
    """Whether a column value can equal ``number`` (a finite number within the column, on its step)."""
    if step != 1:
        return abs(number) < _limit(attribute) and number == number.quantize(step, rounding=ROUND_FLOOR)
    return number == number.to_integral_value() and abs(number) < 2 ** 63


def _bound(attribute: str, op: str, bound: Decimal, prefix: str = "") -> Q:
    """``attribute op bound`` on a numeric column, with the bound rounded to the column's step in the direction
    that keeps the comparison exact (an integer column never sees 100.5 truncated to 100)."""
    name = f"{prefix}{attribute}"
    if bound.is_nan():
        return NEVER
    if bound.is_infinite():
        below = (bound > 0) == (op in ("lt", "lte"))  # every finite value is below +inf / above -inf
        return Q(**{f"{name}__isnull": False}) if below else NEVER
    step = _step(attribute)
    if step != 1 and abs(bound) >= _limit(attribute):  # beyond the column: every value is on one side
        return NEVER if (bound > 0) == (op in ("gt", "gte")) else Q(**{f"{name}__isnull": False})
    rounding = ROUND_FLOOR if op in ("gt", "lte") else ROUND_CEILING
    rounded = (bound / step).to_integral_value(rounding=rounding) * step
    value = int(rounded) if step == 1 else rounded.quantize(step)  # integers out of range: Django's overflow lookups
    # With the presence test: an integer bound out of range is a lookup that matches every row (Django's overflow
    # lookups), NULL included, and a missing value never matches.
    return Q(**{f"{name}__isnull": False, f"{name}__{op}": value})


def _list_has_any(column: str, values: Sequence[str]) -> RawSQL:
    """EXISTS an element of the JSON list ``column`` equal (trimmed, case-insensitive) to one of ``values``;
    with ``values`` empty: EXISTS a non-blank element."""
    if connection.vendor == "postgresql":
        source = (f"jsonb_array_elements_text(CASE WHEN jsonb_typeof({column}) = 'array' THEN {column} "
                  f"ELSE '[]'::jsonb END) AS e(v)")
        element = "e.v"
        trim = "btrim"
    else:
        source = f"json_each(CASE WHEN json_type({column}) = 'array' THEN {column} ELSE '[]' END) AS e"
        element = "e.value"
        trim = "trim"
    if values:
        where = f"lower({trim}({element})) IN ({', '.join(['%s'] * len(values))})"
    else:
        where = f"{trim}({element}) <> ''"
    return RawSQL(f"EXISTS (SELECT 1 FROM {source} WHERE {where})", tuple(values), output_field=BooleanField())


def _column(attribute: str, prefix: str) -> str:
    """The quoted column of an Account attribute; with a prefix the account table is joined under its own name."""
    qn = connection.ops.quote_name
    return f"{qn(Account._meta.db_table)}.{qn(Account._meta.get_field(attribute).column)}"


def criterion_condition(criterion: Criterion, *, prefix: str = "") -> Q:
    """The SQL condition of one criterion, on Account (prefix "") or through a relation (prefix "account__")."""
    attribute, op, expected = criterion.attribute, criterion.op, criterion.value
    name = f"{prefix}{attribute}"
    if attribute in LIST_ATTRIBUTES:
        column = _column(attribute, prefix)
        wanted = [w for w in _wanted_texts(expected) if w]
        if op in POSITIVE_OPS:
            return Q(_list_has_any(column, wanted)) if wanted else NEVER
        if op in NEGATIVE_OPS:
            present = Q(_list_has_any(column, []))
            return present & ~Q(_list_has_any(column, wanted)) if wanted else present
        return NEVER  # gt/lt/between/is_true on a list never match
    if op == "contains":
        op = "eq"  # on a one-valued attribute, "holds the value" is equality
    elif op == "contains_any":
        op = "in"
    if attribute in NUMERIC_ATTRIBUTES:
        present = Q(**{f"{name}__isnull": False})
        if op in ("eq", "ne", "in", "not_in"):
            step = _step(attribute)
            numbers = [n for n in (_number(v) for v in _values(expected))
                       if n is not None and n.is_finite() and _on_step(n, step, attribute)]  # never 100.5 = 100
            numbers = [int(n) if step == 1 else n.quantize(step) for n in numbers]
            if step == 1:  # scoring._equal reads a yes/no value against 1 and 0 as yes/no words
                numbers += [1 if v else 0 for v in _values(expected) if isinstance(v, bool)]
            hit = Q(**{f"{name}__in": numbers}) if numbers else NEVER
            return hit if op in ("eq", "in") else present & ~hit
        if op in ("gt", "gte", "lt", "lte"):
            bound = _number(expected)
            return _bound(attribute, op, bound, prefix) if bound is not None else NEVER
        if op == "between":
            bounds = _values(expected)
            low, high = (_number(bounds[0]), _number(bounds[1])) if len(bounds) >= 2 else (None, None)
            if low is None or high is None:
                return NEVER
            return _bound(attribute, "gte", low, prefix) & _bound(attribute, "lte", high, prefix)
        return NEVER
    if attribute in BOOLEAN_ATTRIBUTES:
        present = Q(**{f"{name}__isnull": False})
        if op in ("is_true", "is_false"):
            return Q(**{name: op == "is_true"})
        if op in ("eq", "ne", "in", "not_in"):
            flags = {b for b in (_boolean(v) for v in _values(expected)) if b is not None}
            hit = Q(**{f"{name}__in": sorted(flags)}) if flags else NEVER
            return hit if op in ("eq", "in") else present & ~hit
        return NEVER
    # Text: trimmed and case-insensitive; blank is missing and never matches.
    text = Lower(Trim(F(name)))
    present = Q(**{f"{name}__isnull": False}) & ~Q(Exact(Trim(F(name)), ""))
    if op in ("eq", "ne", "in", "not_in"):
        wanted = _wanted_texts(expected)
        hit = Q(In(text, wanted)) if wanted else NEVER
        return present & hit if op in ("eq", "in") else present & ~hit
    if op == "is_true":
        return Q(In(text, list(TRUE_WORDS)))
    if op == "is_false":
        return Q(In(text, list(FALSE_WORDS)))
    return NEVER  # gt/lt/between on text: see the module docstring


def fit_expression(spec: ProfileSpec, *, prefix: str = ""):
    """fit = ⌊(200 × matched weight + total) / (2 × total)⌋, the integer form of coverage-rules §6."""
    total = sum(c.weight for c in spec.criteria)
    if total <= 0:
        return Value(0, output_field=IntegerField())
    got = None
    for criterion in spec.criteria:
        term = Case(When(criterion_condition(criterion, prefix=prefix), then=Value(criterion.weight)),
                    default=Value(0), output_field=IntegerField())
        got = term if got is None else got + term
    return ExpressionWrapper((Value(200) * got + Value(total)) / Value(2 * total), output_field=IntegerField())


def tier_expression(spec: ProfileSpec, fit_name: str = "fit"):
    a, b = int(spec.tiers.get("A", 80)), int(spec.tiers.get("B", 50))
    return Case(When(**{f"{fit_name}__gte": a}, then=Value("A")), When(**{f"{fit_name}__gte": b}, then=Value("B")),
                default=Value("C"), output_field=CharField())


# --- the best fit of every account, in SQL (rescoring) ----------------------------------------------------------

# Characters on which the SQL text comparison (trim spaces, lower-case ASCII) is exactly scoring's (str.strip,
# str.casefold): printable ASCII and the caseless Japanese scripts. Values with any other character (a tab, a
# full-width space or letter, "ß", an accented capital) are scored in Python by the rescoring instead.
_EXACT_CHARACTERS = " -~\u3001-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff61-\uff9f"
_NUMERIC_OPS = ("gt", "gte", "lt", "lte", "between")


def _numeric_sensitive(criterion: Criterion) -> bool:
    """Whether a criterion on text reads a value as a number when it parses as one (``scoring._equal``)."""
    return criterion.op in _NUMERIC_OPS or any(_number(v) is not None for v in _values(criterion.value))


def _inexact_text_sql(expression: str, numeric: bool) -> tuple[str, list]:
    """SQL true when the text ``expression`` holds a character outside _EXACT_CHARACTERS or, with ``numeric``,
    might parse as a number (a digit, NaN, Infinity)."""
    if connection.vendor == "postgresql":
        sql, params = f"{expression} ~ %s", [f"[^{_EXACT_CHARACTERS}]"]
        digits = f"{expression} ~ '[0-9]'"
    else:
        sql, params = f"{expression} GLOB %s", [f"*[^{_EXACT_CHARACTERS}]*"]
        digits = f"{expression} GLOB '*[0-9]*'"
    if numeric:
        sql += f" OR {digits} OR lower({expression}) LIKE '%%nan%%' OR lower({expression}) LIKE '%%inf%%'"
    return f"({sql})", params


def inexact_condition(specs: Sequence[ProfileSpec]) -> Q | None:
    """The accounts whose text or list values the compiled criteria might read differently from
    ``profiles.scoring`` (see _EXACT_CHARACTERS; list elements that are not strings; numbers written as text
    where a criterion compares numbers). None when no criterion reads text or lists."""
    numeric: dict[str, bool] = {}
    for spec in specs:
        for c in spec.criteria:
            if c.attribute in TEXT_ATTRIBUTES or c.attribute in LIST_ATTRIBUTES:
                numeric[c.attribute] = numeric.get(c.attribute, False) or _numeric_sensitive(c)
    condition = None
    for attribute, is_numeric in numeric.items():
        column = _column(attribute, "")
        if attribute in TEXT_ATTRIBUTES:
            sql, params = _inexact_text_sql(column, is_numeric)
        elif connection.vendor == "postgresql":
            element, params = _inexact_text_sql("(e.v #>> '{}')", is_numeric)
            sql = (f"jsonb_typeof({column}) NOT IN ('array', 'null') OR (jsonb_typeof({column}) = 'array' AND "
                   f"EXISTS (SELECT 1 FROM jsonb_array_elements({column}) AS e(v) WHERE jsonb_typeof(e.v) "
                   f"NOT IN ('string', 'null') OR (jsonb_typeof(e.v) = 'string' AND {element})))")
        else:
            element, params = _inexact_text_sql("e.value", is_numeric)
            sql = (f"json_type({column}) NOT IN ('array', 'null') OR (json_type({column}) = 'array' AND "
                   f"EXISTS (SELECT 1 FROM json_each({column}) AS e WHERE e.type NOT IN ('text', 'null') "
                   f"OR (e.type = 'text' AND {element})))")
        term = Q(RawSQL(f"COALESCE(({sql}), FALSE)", tuple(params), output_field=BooleanField()))
        condition = term if condition is None else condition | term
    return condition


def best_fit_rows_sql(specs: Sequence[ProfileSpec], *, low: int | None = None, high: int | None = None,
                      ids: Sequence[int] | None = None, exclude: Q | None = None) -> tuple[str, list]:
    """SELECT id, fit, profile_id, tier, matched (a JSON text) of the accounts with low ≤ id ≤ high (or whose id
    is in ``ids``), as ``scoring.best_fit`` computes them: the maximum fit over ``specs``, ties to the name first
    by code point.

    Each criterion is evaluated once per account (a flags subquery fenced by OFFSET 0 so it is not inlined into
    the expressions that read it); the fits, the choice and the tier are integer arithmetic over the flags.
    """
    qn = connection.ops.quote_name
    accounts = Account.objects.filter(id__in=ids) if ids is not None else Account.objects.filter(id__gte=low,
                                                                                                id__lte=high)
    if exclude is not None:
        accounts = accounts.exclude(exclude)
    if not specs:
        inner, params = accounts.values("id").order_by().query.sql_with_params()
        return (f"SELECT a.{qn('id')} AS id, 0 AS fit, CAST(NULL AS INTEGER) AS profile_id, '' AS tier, "
                f"'[]' AS matched FROM ({inner}) a", list(params))
    fence = " OFFSET 0" if connection.vendor == "postgresql" else " LIMIT -1 OFFSET 0"
    ordered = sorted(specs, key=lambda p: p.name)  # as best_fit: the first of equal fits wins
    flags = {f"m{p}_{i}": _flag(criterion_condition(c)) for p, spec in enumerate(ordered)
             for i, c in enumerate(spec.criteria)}
    inner, params = accounts.annotate(**flags).values("id", *flags).order_by().query.sql_with_params()
    columns = []
    for p, spec in enumerate(ordered):
        total = sum(c.weight for c in spec.criteria)
        got = " + ".join(f"{int(c.weight)} * f.m{p}_{i}" for i, c in enumerate(spec.criteria))
        fit = f"(200 * ({got}) + {total}) / {2 * total}" if total > 0 else "0"
        listed = " || ".join(f"CASE WHEN f.m{p}_{i} = 1 THEN '{i},' ELSE '' END" for i in range(len(spec.criteria)))
        matched = f"'[' || rtrim({listed}, ',') || ']'" if spec.criteria else "'[]'"
        columns.append(f"{fit} AS fit_{p}, {matched} AS matched_{p}")
    fits = f"SELECT f.{qn('id')} AS id, {', '.join(columns)} FROM ({inner}{fence}) f"
    k = len(ordered)
    # The first profile whose fit is ≥ every later one: the earlier ones have all lost to some later fit.
    chain = " ".join(
        f"WHEN {' AND '.join(f's.fit_{p} >= s.fit_{q}' for q in range(p + 1, k))} THEN {p}" for p in range(k - 1))
    best = f"CASE {chain} ELSE {k - 1} END" if k > 1 else "0"
    chosen = f"SELECT s.*, {best} AS best FROM ({fits}{fence}) s"

    def pick(values: Sequence[str]) -> str:
        return "CASE c.best " + " ".join(f"WHEN {p} THEN {v}" for p, v in enumerate(values)) + " END"

    tiers = [f"CASE WHEN c.fit_{p} >= {int(spec.tiers.get('A', 80))} THEN 'A' "
             f"WHEN c.fit_{p} >= {int(spec.tiers.get('B', 50))} THEN 'B' ELSE 'C' END" for p, spec in enumerate(ordered)]
    profile_ids = [str(int(spec.profile_id)) if spec.profile_id is not None else "CAST(NULL AS INTEGER)"
                   for spec in ordered]
    sql = (f"SELECT c.id AS id, {pick([f'c.fit_{p}' for p in range(k)])} AS fit, {pick(profile_ids)} AS profile_id, "
           f"{pick(tiers)} AS tier, {pick([f'c.matched_{p}' for p in range(k)])} AS matched FROM ({chosen}) c")
    return sql, list(params)


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
    histogram: list[analysis.Bucket]
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
    flags = {f"m{i}": _flag(criterion_condition(c)) for i, c in enumerate(criteria)}
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
        total=sum(counts.values()), histogram=analysis.histogram(counts), tiers=analysis.tier_counts(counts, spec.tiers),
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


def band_expression(attribute: str, bands: Sequence[analysis.Band]) -> Case:
    """The index of the numeric band an account's value falls in (for accounts with a value)."""
    return Case(*[When(**{f"{attribute}__lt": b.high}, then=Value(b.index)) for b in bands if b.high is not None],
                default=Value(bands[-1].index), output_field=IntegerField())


def _flag(condition: Q | Any) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


@dataclass(frozen=True)
class Learning:
    best_total: int
    all_total: int
    rows: list[analysis.LiftRow]
    suggestions: list[analysis.Suggestion]


def best_customer_learning(*, loyal: bool = True, active_min_wins: int | None = 2,
                           min_sample: int = analysis.MIN_SAMPLE) -> Learning:
    """Shares and lift of every value and numeric band, best customers vs all target accounts.

    One query for the totals and one GROUP BY per attribute (11 in all), whatever the number of accounts.
    """
    best_q = best_customers_condition(loyal=loyal, active_min_wins=active_min_wins)
    targets = target_accounts()
    totals = targets.aggregate(all=Count("id"), best=Count("id", filter=best_q))
    best_total, all_total = totals["best"], totals["all"]
    rows: list[analysis.LiftRow] = []

    def add(attribute: str, kind: str, counts: Mapping[Any, tuple[int, int]], **extra) -> None:
        rows.extend(analysis.lift_rows(
            attribute=attribute, kind=kind, best={k: v[0] for k, v in counts.items()},
            all_targets={k: v[1] for k, v in counts.items()}, best_total=best_total, all_total=all_total,
            min_sample=min_sample, **extra))

    for attribute in analysis.CATEGORY_ATTRIBUTES:
        grouped = (category_values(targets, attribute).values("v")
                   .annotate(n=Count("id"), b=Count("id", filter=best_q)).order_by())
        add(attribute, "category", {r["v"]: (r["b"], r["n"]) for r in grouped})
    for attribute in analysis.BOOLEAN_ANALYSIS_ATTRIBUTES:
        grouped = (targets.filter(**{f"{attribute}__isnull": False}).values(attribute)
                   .annotate(n=Count("id"), b=Count("id", filter=best_q)).order_by())
        add(attribute, "boolean", {r[attribute]: (r["b"], r["n"]) for r in grouped},
            labels={True: "yes", False: "no"})
    for attribute, edges in analysis.NUMERIC_BAND_EDGES.items():
        bands = analysis.bands_for(edges)
        band = band_expression(attribute, bands)
        grouped = (targets.filter(**{f"{attribute}__isnull": False}).annotate(band=band).values("band")
                   .annotate(n=Count("id"), b=Count("id", filter=best_q)).order_by())
        add(attribute, "band", {r["band"]: (r["b"], r["n"]) for r in grouped}, bands=bands)
    flagged = targets.annotate(best_flag=_flag(best_q))
    for attribute in analysis.LIST_ANALYSIS_ATTRIBUTES:
        counts = _list_value_counts(flagged, attribute, ["best_flag"])
        add(attribute, "list", {v: (c["best_flag"], c["n"]) for v, c in counts.items()})
    return Learning(best_total=best_total, all_total=all_total, rows=rows,
                    suggestions=analysis.suggest_criteria(rows))


# --- validation ---------------------------------------------------------------------------------------------


def outcomes_by_tier(spec: ProfileSpec, *, start: dt.date, end: dt.date, label: str,
                     min_sample: int = analysis.MIN_SAMPLE) -> analysis.VersionOutcome:
    """Tiers as this version would give them today, against what happened in [start, end] (see below)."""
    return outcomes_by_tier_of_versions([(label, spec)], start=start, end=end, min_sample=min_sample)[0]


def outcomes_by_tier_of_versions(versions: Sequence[tuple[str, ProfileSpec]], *, start: dt.date, end: dt.date,
                                 min_sample: int = analysis.MIN_SAMPLE) -> list[analysis.VersionOutcome]:
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
    return [analysis.version_outcome(label=label, min_sample=min_sample, **counts[i])
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
    flagged = population.annotate(t30_flag=_flag(Q(t30)), t90_flag=_flag(Q(t90)))
    regions = _list_value_counts(flagged, "regions", ["t30_flag", "t90_flag"])
    by_region = [BreadthRow(v, c["n"], c["t30_flag"], c["t90_flag"]) for v, c in regions.items()]
    by_region.sort(key=lambda r: (-r.accounts, r.key))
    return Breadth(as_of=as_of, total=BreadthRow("all", total["n"], total["t30"], total["t90"]),
                   by_state=by_state, by_industry=by_industry, by_region=by_region[:limit])
