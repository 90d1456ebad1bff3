"""Does coverage pay? Outcomes of accounts that met the standard against those that did not (docs/rules.md §10).

Three cohorts over a period [start, end] (the 180 days to today by default), each split by "met the standard"
(no coverage alert of the cohort's states open for the account at any time in the span that counts) and by the
account's ICP tier:

- **negotiation** — entries into NEGOTIATION by a transition dated in the period; the outcome is the account's next
  transition: won when it goes to a customer state, lost when it goes anywhere else, open while there is none;
  rate = won ÷ (won + lost);
- **customers** — accounts in a customer state (ONBOARDING, ACTIVE, LOYAL) on the period's first day; rate = those
  that moved from a customer state to CHURNED within (start, end] ÷ all of them;
- **leads** — accounts in a lead state (HOT_LEAD, HIGH_POTENTIAL_LEAD, LEAD) on the first day; rate = those that
  moved from a lead state to NEGOTIATION or a customer state within (start, end] ÷ all of them.

Each side's rate comes with a 95 % Wilson interval (dashboards.stats). A verdict only when both sides have at least
MIN_SAMPLE accounts and the intervals do not overlap. Three GROUP BY statements, whatever the number of accounts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection
from django.utils.translation import gettext as _

from core.choices import Role, State
from core.permissions import MANAGERS
from core.timeutil import business_today

from .stats import Rate, overlaps, rate

MIN_SAMPLE = 30  # accounts per side below which no verdict is given
DEFAULT_DAYS = 180
MAX_DAYS = 731
CUSTOMER_STATES = (State.ONBOARDING.value, State.ACTIVE.value, State.LOYAL.value)
LEAD_STATES = (State.HOT_LEAD.value, State.HIGH_POTENTIAL_LEAD.value, State.LEAD.value)
CONVERTED_STATES = (State.NEGOTIATION.value, *CUSTOMER_STATES)
OWNER_COLUMNS = ("owner_csm_id", "owner_sales_id", "owner_inside_sales_id", "owner_marketing_id",
                 "owner_executive_id")
TIERS = ("A", "B", "C", "none")  # "none": accounts without an ICP tier
COHORTS = ("negotiation", "customers", "leads")
# Whether a higher rate is the better outcome (won, converted) or the worse one (churned).
HIGHER_IS_BETTER = {"negotiation": True, "customers": False, "leads": True}
EVERYTHING_ROLES = (*MANAGERS, Role.EXECUTIVE)


class OutcomeError(ValueError):
    """A bad filter, naming its field."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


def period(raw_from: str | None, raw_to: str | None, *, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """[start, end] from the URL's `from` and `to` (YYYY-MM-DD): the DEFAULT_DAYS days to today by default."""
    end = _date("to", raw_to) or today or business_today()
    try:
        start = _date("from", raw_from) or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    except OverflowError:
        raise OutcomeError("to", _("too early a date.")) from None
    if start > end:
        raise OutcomeError("from", _("must not be after to."))
    if (end - start).days + 1 > MAX_DAYS:
        raise OutcomeError("from", _("the period is at most %(n)s days.") % {"n": MAX_DAYS})
    return start, end


def _date(field: str, raw: str | None) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise OutcomeError(field, _("'%(value)s' is not a date: use YYYY-MM-DD.") % {"value": raw[:40]}) from None


def tier_filter(raw: str | None) -> str:
    """'' (every tier), A, B, C or none."""
    if not raw:
        return ""
    if raw not in TIERS:
        raise OutcomeError("tier", _("choose one of %(choices)s.") % {"choices": ", ".join(TIERS)})
    return raw


def scope_people(user) -> list[int] | None:
    """Whose accounts the user sees: None for everyone's (managers, admins, executives); otherwise the user's own
    and their team's (the accounts any of them owns, in any role)."""
    if user.role in EVERYTHING_ROLES:
        return None
    from core.models import User

    if not user.team:
        return [user.pk]
    return list(User.objects.filter(team=user.team).values_list("pk", flat=True))


def _in(values) -> str:
    return "(" + ", ".join(["%s"] * len(values)) + ")"


def _account_filter(people: list[int] | None, tier: str) -> tuple[str, list]:
    """SQL conditions on `a` (accounts_account) for the scope and the tier, and their parameters."""
    sql, params = "", []
    if people is not None:
        people = people or [0]
        sql += " AND (" + " OR ".join(f"a.{column} IN {_in(people)}" for column in OWNER_COLUMNS) + ")"
        params += people * len(OWNER_COLUMNS)
    if tier:
        sql += " AND a.icp_tier = %s"
        params.append("" if tier == "none" else tier)
    return sql, params


def _negotiation_sql(where: str) -> str:
    return f"""
SELECT tier, outcome, met, COUNT(*) FROM (
  SELECT ep.tier,
    CASE WHEN ep.left_to IS NULL THEN 'open' WHEN ep.left_to IN {_in(CUSTOMER_STATES)} THEN 'hit' ELSE 'miss' END
      AS outcome,
    CASE WHEN EXISTS (SELECT 1 FROM engine_alert al WHERE al.account_id = ep.account_id AND al.state = %s
        AND al.opened_on >= ep.entered_on AND (ep.left_on IS NULL OR al.opened_on <= ep.left_on))
      THEN 0 ELSE 1 END AS met
  FROM (
    SELECT t.account_id, t.as_of AS entered_on, a.icp_tier AS tier, n.as_of AS left_on, n.to_state AS left_to
    FROM segments_statetransition t
    JOIN accounts_account a ON a.id = t.account_id
    LEFT JOIN segments_statetransition n ON n.id = (
      SELECT x.id FROM segments_statetransition x WHERE x.account_id = t.account_id
        AND (x.as_of > t.as_of OR (x.as_of = t.as_of AND x.id > t.id)) ORDER BY x.as_of, x.id LIMIT 1)
    WHERE t.to_state = %s AND t.from_state <> '' AND t.as_of >= %s AND t.as_of <= %s {where}
  ) ep
) s GROUP BY tier, outcome, met"""


def _start_state_sql(family: tuple[str, ...], targets: tuple[str, ...], where: str) -> str:
    """Accounts in `family` on the first day, whether they moved from `family` to `targets` in (start, end], and
    whether an alert of `family` was open at some time from start to that move (or to end).

    In `family` on the first day: unchanged since (state_since on or before it, its current state), or else the
    first transition after it leaves `family` (its from_state). The two are disjoint, read by the state index and
    the transitions' as_of index; the moves are one aggregate over the period's transitions, not a probe per
    account."""
    f = _in(family)
    return f"""
SELECT tier, CASE WHEN hit_on IS NULL THEN 'miss' ELSE 'hit' END AS outcome,
  CASE WHEN EXISTS (SELECT 1 FROM engine_alert al WHERE al.account_id = c.account_id AND al.state IN {f}
      AND al.opened_on <= COALESCE(c.hit_on, %s) AND (al.resolved_on IS NULL OR al.resolved_on > %s))
    THEN 0 ELSE 1 END AS met
FROM (
  SELECT cohort.account_id, cohort.tier, h.hit_on
  FROM (
    SELECT a.id AS account_id, a.icp_tier AS tier FROM accounts_account a
    WHERE a.state IN {f} AND a.state_since <= %s {where}
    UNION ALL
    SELECT a.id, a.icp_tier FROM segments_statetransition y JOIN accounts_account a ON a.id = y.account_id
    WHERE y.as_of > %s AND y.from_state IN {f} AND y.id = (
      SELECT z.id FROM segments_statetransition z WHERE z.account_id = y.account_id AND z.as_of > %s
      ORDER BY z.as_of, z.id LIMIT 1) {where}
  ) cohort
  LEFT JOIN (SELECT x.account_id, MIN(x.as_of) AS hit_on FROM segments_statetransition x
             WHERE x.from_state IN {f} AND x.to_state IN {_in(targets)} AND x.as_of > %s AND x.as_of <= %s
             GROUP BY x.account_id) h ON h.account_id = cohort.account_id
) c"""


def _grouped(sql: str, params: list) -> list[tuple[str, str, int, int]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(tier or "", outcome, int(met), int(n)) for tier, outcome, met, n in cursor.fetchall()]


def outcome_rows(*, start: dt.date, end: dt.date, people: list[int] | None = None,
                 tier: str = "") -> dict[str, list[tuple[str, str, int, int]]]:
    """Per cohort: (tier, outcome 'hit'|'miss'|'open', met 1|0, count) rows — three statements."""
    where, account_params = _account_filter(people, tier)
    negotiation = _grouped(_negotiation_sql(where), [
        *CUSTOMER_STATES, State.NEGOTIATION.value, State.NEGOTIATION.value, start, end, *account_params])
    found = {"negotiation": negotiation}
    for name, family, targets in (("customers", CUSTOMER_STATES, (State.CHURNED.value,)),
                                  ("leads", LEAD_STATES, CONVERTED_STATES)):
        sql = f"SELECT tier, outcome, met, COUNT(*) FROM ({_start_state_sql(family, targets, where)}) s " \
              "GROUP BY tier, outcome, met"
        found[name] = _grouped(sql, [*family, end, start, *family, start, *account_params,
                                     start, *family, start, *account_params, *family, *targets, start, end])
    return found


@dataclass(frozen=True)
class Comparison:
    """One cohort (or one tier of it): the met side against the not-met side."""

    met: Rate
    not_met: Rate
    open_met: int  # negotiation entries with no outcome yet, not in the rates
    open_not_met: int
    verdict: str  # too_few | met_better | met_worse | no_difference


def verdict(met: Rate, not_met: Rate, *, higher_is_better: bool, min_sample: int = MIN_SAMPLE) -> str:
    """`too_few` below min_sample accounts on either side; `no_difference` when the intervals overlap; otherwise
    whether the accounts that met the standard did better or worse."""
    if met.n < min_sample or not_met.n < min_sample:
        return "too_few"
    if overlaps(met, not_met):
        return "no_difference"
    return "met_better" if (met.rate > not_met.rate) == higher_is_better else "met_worse"


def compare(rows, *, higher_is_better: bool) -> Comparison:
    """Fold (outcome, met, count) rows into a Comparison."""
    counts = defaultdict(int)
    for outcome, met, n in rows:
        counts[outcome, met] += n
    met = rate(counts["hit", 1], counts["hit", 1] + counts["miss", 1])
    not_met = rate(counts["hit", 0], counts["hit", 0] + counts["miss", 0])
    return Comparison(met, not_met, counts["open", 1], counts["open", 0],
                      verdict(met, not_met, higher_is_better=higher_is_better))


def outcomes(*, start: dt.date, end: dt.date, people: list[int] | None = None, tier: str = "") -> dict:
    """Each cohort overall and by tier (A, B, C, none — every tier listed, zeros included)."""
    result = {}
    for name, rows in outcome_rows(start=start, end=end, people=people, tier=tier).items():
        better = HIGHER_IS_BETTER[name]
        by_tier = {t: compare([(o, m, n) for r_tier, o, m, n in rows if (r_tier or "none") == t],
                              higher_is_better=better) for t in TIERS if not tier or t == tier}
        result[name] = {"overall": compare([(o, m, n) for _tier, o, m, n in rows], higher_is_better=better),
                        "by_tier": by_tier}
    return result


def rate_dict(value: Rate) -> dict:
    rounded = (lambda x: None if x is None else round(x, 4))
    return {"accounts": value.n, "hits": value.hits, "rate": rounded(value.rate), "low": rounded(value.low),
            "high": rounded(value.high)}


def comparison_dict(value: Comparison) -> dict:
    return {"met": rate_dict(value.met), "not_met": rate_dict(value.not_met),
            "open": {"met": value.open_met, "not_met": value.open_not_met}, "verdict": value.verdict}


def outcomes_payload(*, start: dt.date, end: dt.date, people: list[int] | None = None, tier: str = "") -> dict:
    """The API's answer: the period, the minimum sample, and each cohort overall and by tier."""
    found = outcomes(start=start, end=end, people=people, tier=tier)
    return {"from": start.isoformat(), "to": end.isoformat(), "min_sample": MIN_SAMPLE, "tier": tier,
            "scope": "all" if people is None else "team",
            "cohorts": {name: {"overall": comparison_dict(c["overall"]),
                               "by_tier": {t: comparison_dict(v) for t, v in c["by_tier"].items()}}
                        for name, c in found.items()}}
