"""ICP fit in SQL: the set-based twin of ``profiles.scoring`` (docs/rules.md §6).

A profile's criteria are compiled into SQL conditions (``criterion_condition``) and its fit into one integer
expression (``fit_expression``), so the analysis pages group a million accounts in one query and the nightly
pipeline and the rescoring compute every account's best fit in SQL (``best_fit_rows_sql``).
The compiled conditions follow ``scoring.criterion_matches`` (tests compare both on the same accounts); the
known differences are noted where they arise: text that merely looks like a number is compared as text, and
``gt``/``lt``/``between`` on a text attribute never match in SQL; SQL lower-cases and trims ASCII only.
``inexact_condition`` names the accounts where any of this can matter, which the callers score in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField, Case, CharField, DecimalField, ExpressionWrapper, F, IntegerField, Q, Value, When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower, Trim
from django.db.models.lookups import Exact, In

from accounts.models import Account
from core.yesno import NO_WORDS, YES_WORDS

from .scoring import (
    BOOLEAN_ATTRIBUTES,
    BOUND_OPS,
    EQUALITY_OPS,
    LIST_ATTRIBUTES,
    NEGATIVE_OPS,
    NUMERIC_ATTRIBUTES,
    NUMERIC_OPS,
    POSITIVE_OPS,
    TEXT_ATTRIBUTES,
    Criterion,
    ProfileSpec,
    as_boolean,
    as_number,
    as_text,
)

NEVER = Q(pk__in=[])  # matches nothing, on every backend


def _values(expected: Any) -> list:
    return list(expected) if isinstance(expected, (list, tuple, set)) else [expected]


def _wanted_texts(expected: Any) -> list[str]:
    """The normalised texts a text value must equal to match one of ``expected`` as ``scoring._equal`` reads it:
    a yes/no value matches the yes/no words, anything else its trimmed, case-folded text (None reads "none")."""
    wanted: list[str] = []
    for v in _values(expected):
        if isinstance(v, bool):
            wanted.extend(YES_WORDS if v else NO_WORDS)
        else:
            wanted.append(as_text(v))
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
        if op in EQUALITY_OPS:
            step = _step(attribute)
            numbers = [n for n in (as_number(v) for v in _values(expected))
                       if n is not None and n.is_finite() and _on_step(n, step, attribute)]  # never 100.5 = 100
            numbers = [int(n) if step == 1 else n.quantize(step) for n in numbers]
            if step == 1:  # scoring._equal reads a yes/no value against 1 and 0 as yes/no words
                numbers += [1 if v else 0 for v in _values(expected) if isinstance(v, bool)]
            hit = Q(**{f"{name}__in": numbers}) if numbers else NEVER
            return hit if op in POSITIVE_OPS else present & ~hit
        if op in BOUND_OPS:
            bound = as_number(expected)
            return _bound(attribute, op, bound, prefix) if bound is not None else NEVER
        if op == "between":
            bounds = _values(expected)
            low, high = (as_number(bounds[0]), as_number(bounds[1])) if len(bounds) >= 2 else (None, None)
            if low is None or high is None:
                return NEVER
            return _bound(attribute, "gte", low, prefix) & _bound(attribute, "lte", high, prefix)
        return NEVER
    if attribute in BOOLEAN_ATTRIBUTES:
        present = Q(**{f"{name}__isnull": False})
        if op in ("is_true", "is_false"):
            return Q(**{name: op == "is_true"})
        if op in EQUALITY_OPS:
            flags = {b for b in (as_boolean(v) for v in _values(expected)) if b is not None}
            hit = Q(**{f"{name}__in": sorted(flags)}) if flags else NEVER
            return hit if op in POSITIVE_OPS else present & ~hit
        return NEVER
    # Text: trimmed and case-insensitive; blank is missing and never matches.
    text = Lower(Trim(F(name)))
    present = Q(**{f"{name}__isnull": False}) & ~Q(Exact(Trim(F(name)), ""))
    if op in EQUALITY_OPS:
        wanted = _wanted_texts(expected)
        hit = Q(In(text, wanted)) if wanted else NEVER
        return present & hit if op in POSITIVE_OPS else present & ~hit
    if op == "is_true":
        return Q(In(text, list(YES_WORDS)))
    if op == "is_false":
        return Q(In(text, list(NO_WORDS)))
    return NEVER  # gt/lt/between on text: see the module docstring


def fit_expression(spec: ProfileSpec, *, prefix: str = ""):
    """fit = ⌊(200 × matched weight + total) / (2 × total)⌋, the integer form of docs/rules.md §6."""
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


def _numeric_sensitive(criterion: Criterion) -> bool:
    """Whether a criterion on text reads a value as a number when it parses as one (``scoring._equal``)."""
    return criterion.op in NUMERIC_OPS or any(as_number(v) is not None for v in _values(criterion.value))


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
    flags = {f"m{p}_{i}": match_flag(criterion_condition(c)) for p, spec in enumerate(ordered)
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


def match_flag(condition: Q | Any) -> Case:
    """1 where the condition holds, else 0: an integer column that SQL can sum and group by."""
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())

