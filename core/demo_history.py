"""The demo organisation's story: each account's leads, deals, contracts and touches, dated over the last months so
that the nights `seed_demo` then runs for those dates (core.demo_handoffs.NightReplay) leave a history to read.

The organisation behaves the way a real one does, because what happens to an account is drawn from how well it was
covered and how well it fits the ideal customer profile (its ICP tier, scored with the profiles the demo saves,
profiles.scoring — the same fit the nights compute):

- every episode of an account — a lead, a deal, a contract year — is *covered* or not, drawn from the diligence of
  the owner who works it (some reps are more diligent than others) and the organisation's habit, which improves over
  the months (so the trends rise); a covered episode gets its touches often enough to meet the default standards
  (standards/defaults.py, docs/rules.md §4), an uncovered one with gaps the standard flags;
- a lead converts into a deal more often the better its tier, and more often when covered;
- a deal is won more often when it was covered, and somewhat more often the better its tier;
- a customer renews its contract more often in a covered year: an uncovered one churns more (docs/rules.md §2, §3).

So the outcomes page (docs/rules.md §10) finds what a manager would hope to find — covered NEGOTIATION accounts win
more often, tier A converts more, covered customers churn less — from the engine's own transitions and alerts, not
from figures written in. One random stream, drawn in account order: a seed gives the same organisation every time.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from accounts.models import Account, Lead, Opportunity
from contacts.domain import touch_natural_key
from contacts.models import Touch
from core.models import User
from profiles.scoring import account_attributes, best_fit, load_active_profile_specs

# The nights the seed runs reach back this far: six months of history and a few days (the outcomes' default period
# is the 180 days to today, and the customers and leads cohorts start from the state on its first day).
HISTORY_DAYS = 184
# Touches are drawn from this many days before the first night, so the first night does not find everyone
# under-covered.
LEAD_IN_DAYS = 60

# How often an owner covers what they work, before the organisation's improvement over the months (usernames of
# core.management.commands.seed_demo.DEMO_USERS; anyone else: DEFAULT_DILIGENCE).
DILIGENCE = {"sales1": 0.85, "sales2": 0.6, "sales3": 0.35, "csm1": 0.8, "csm2": 0.45, "inside1": 0.8,
             "inside2": 0.5, "marketing1": 0.85, "marketing2": 0.55, "exec1": 0.6}
DEFAULT_DILIGENCE = 0.6
# The organisation's habit: diligence × IMPROVEMENT[0] at the first night, rising to × IMPROVEMENT[1] today.
IMPROVEMENT = (0.55, 1.15)

# Lead → deal: the chance by tier, and the factor when the lead was (not) covered.
CONVERSION = {"A": 0.7, "B": 0.45, "C": 0.18, "": 0.25}
CONVERSION_COVERED = (0.6, 1.25)  # (not covered, covered)
HOT_SHARE = {"A": 0.45, "B": 0.3, "C": 0.2, "": 0.25}  # leads scored 70 or more
# Deal → won: the chance by tier, and the factor when the negotiation was (not) covered.
WIN = {"A": 0.6, "B": 0.52, "C": 0.45, "": 0.45}
WIN_COVERED = (0.45, 1.35)
# Contract year → renewed: the chance by tier, and the factor when the year was (not) covered.
RENEWAL = {"A": 0.95, "B": 0.9, "C": 0.85, "": 0.85}
RENEWAL_COVERED = (0.45, 1.0)
WIN_BACK = 0.2  # a churned customer's chance of a new lead later

# Days between two touches of a series: (covered, not covered), per kind of episode. A covered series never leaves
# a gap the standard's window (7 days for NEGOTIATION, HOT_LEAD, ONBOARDING; 30 days for ACTIVE, LOYAL, CHURNED,
# two digital touches in 30 days for leads) cannot bridge; an uncovered one often does.
GAPS = {
    "negotiation": ((1, 6), (8, 25)),
    "hot_lead": ((1, 6), (8, 25)),
    "lead_human": ((6, 25), (25, 70)),
    "lead_digital": ((3, 13), (15, 45)),
    "onboarding": ((1, 6), (8, 25)),
    "customer": ((5, 24), (25, 80)),
    "churned": ((5, 24), (30, 70)),
}
CONTRACT_DAYS = 365

HUMAN_CHANNELS = ("visit", "phone", "online_meeting", "seminar")
DIGITAL_CHANNELS = ("email", "webinar", "newsletter", "web_visit")
STAGES = ("education", "solution", "selection", "negotiation", "relation")
STAGE_OF = {"lead_digital": "education", "lead_human": "solution", "hot_lead": "selection",
            "negotiation": "negotiation", "onboarding": "relation", "customer": "relation", "churned": "education"}
LEAD_SOURCES = ("web", "seminar", "referral", "ad", "partner")
CONTACTS = ("田中 一郎", "Alex Kim", "山本 花子", "Jordan Lee")


def account_tiers(accounts: list[Account]) -> dict[int, str]:
    """Each account's ICP tier by the active profiles, as the nights will score it (docs/rules.md §6)."""
    specs = load_active_profile_specs()
    return {a.id: best_fit(account_attributes(a.__dict__), specs).tier for a in accounts}


@dataclass
class Episode:
    """A stretch of an account's life that someone works: its touches are drawn as one series."""

    kind: str  # a key of GAPS
    start: dt.date
    end: dt.date
    covered: bool


class DemoStory:
    """Draws each account's story, then writes it in three bulk inserts."""

    def __init__(self, *, today: dt.date, zone, rng: random.Random, by_role: dict[str, list[User]],
                 tiers: dict[int, str], history_days: int = HISTORY_DAYS) -> None:
        self.today, self.zone, self.rng, self.by_role, self.tiers = today, zone, rng, by_role, tiers
        self.first_night = today - dt.timedelta(days=history_days)
        self.touch_from = self.first_night - dt.timedelta(days=LEAD_IN_DAYS)
        self.leads: list[Lead] = []
        self.deals: list[Opportunity] = []
        self.touches: list[Touch] = []
        self.numbers: dict[tuple[int, str], int] = {}

    def number(self, account: Account, kind: str) -> int:
        """0, 1, 2 … for the account's successive leads or deals of a kind (their external ids)."""
        n = self.numbers.get((account.id, kind), 0)
        self.numbers[account.id, kind] = n + 1
        return n

    # --- chances ------------------------------------------------------------------------------------------------

    def covered(self, owner: User | None, on: dt.date) -> bool:
        """Whether an episode starting `on`, worked by `owner`, is covered: their diligence times the
        organisation's habit at that date."""
        days = (self.today - self.first_night).days or 1
        progress = min(1.0, max(0.0, (on - self.first_night).days / days))
        habit = IMPROVEMENT[0] + (IMPROVEMENT[1] - IMPROVEMENT[0]) * progress
        diligence = DILIGENCE.get(owner.username, DEFAULT_DILIGENCE) if owner else DEFAULT_DILIGENCE
        return self.rng.random() < min(0.97, diligence * habit)

    def chance(self, table: dict[str, float], factors: tuple[float, float], tier: str, covered: bool) -> bool:
        return self.rng.random() < min(0.95, table.get(tier, table[""]) * factors[covered])

    def day(self, low: dt.date, high: dt.date) -> dt.date:
        return low + dt.timedelta(days=self.rng.randint(0, max(0, (high - low).days)))

    # --- stories ------------------------------------------------------------------------------------------------

    def add_account(self, account: Account) -> None:
        """A customer for years, an account that comes in through a lead in the last months, or one nobody
        works yet; then a few newsletters for everyone."""
        # Marketing finds more leads where the profile fits: fewer accounts nobody works among tier A.
        draw = self.rng.random() * (0.9 if self.tiers.get(account.id) == "A" else 1.0)
        if draw < 0.3:
            self.customer(account, first_won=self.day(self.today - dt.timedelta(days=1500),
                                                      self.first_night + dt.timedelta(days=20)))
        elif draw < 0.84:
            self.lead(account, created=self.day(self.first_night - dt.timedelta(days=90),
                                                self.today - dt.timedelta(days=10)))
        for _ in range(self.rng.randint(0, 5)):
            self.touch(account, self.day(self.touch_from, self.today), human=False,
                       role=self.rng.choice(("marketing", "marketing", "inside_sales")), stage="education")

    def lead(self, account: Account, *, created: dt.date) -> None:
        """A lead; converted into a deal (by tier and coverage), disqualified, or still open."""
        rng, tier = self.rng, self.tiers.get(account.id, "")
        label = f"LD{self.number(account, 'LD') or ''}"
        hot = rng.random() < HOT_SHARE.get(tier, HOT_SHARE[""])
        covered = self.covered(account.owner_inside_sales if hot else account.owner_marketing, created)
        converts = self.chance(CONVERSION, CONVERSION_COVERED, tier, covered)
        closed = created + dt.timedelta(days=rng.randint(10, 100))
        status = Lead.Status.OPEN
        if closed >= self.today:
            closed = None
        elif converts:
            status = Lead.Status.CONVERTED
        elif rng.random() < 0.35:
            status = Lead.Status.DISQUALIFIED
        else:
            closed = None
        self.leads.append(Lead(
            external_id=f"{account.external_id}-{label}", account=account, created_on=created, closed_on=closed,
            status=status, score=rng.randint(70, 98) if hot else rng.choice((None, rng.randint(10, 69))),
            source=rng.choices(LEAD_SOURCES, weights=(5, 3, 2, 3, 1))[0], contact_name=rng.choice(CONTACTS),
            contact_email=f"contact{label.lower()}@demo{account.id}.example.jp"))
        end = closed or self.today
        self.series(account, Episode("lead_digital", created, end, covered), role="marketing")
        human = Episode("hot_lead" if hot else "lead_human", created, end, covered)
        self.series(account, human, role="inside_sales")
        if status == Lead.Status.CONVERTED:
            self.deal(account, opened=closed)

    def deal(self, account: Account, *, opened: dt.date) -> None:
        """A deal of 15 to 75 days: won (more often covered) into a customer, lost, or still open."""
        rng, tier = self.rng, self.tiers.get(account.id, "")
        covered = self.covered(account.owner_sales, opened)
        closed = opened + dt.timedelta(days=rng.randint(15, 75))
        won = self.chance(WIN, WIN_COVERED, tier, covered)
        n = self.number(account, "D")
        if closed >= self.today:
            status, closed = Opportunity.Status.OPEN, None
        else:
            status = Opportunity.Status.WON if won else Opportunity.Status.LOST
        self.deals.append(Opportunity(
            external_id=f"{account.external_id}-D{n}", account=account, name=f"{account.name} 新規商談",
            opened_on=opened, closed_on=closed, status=status, amount=rng.randrange(5, 300) * 100_000,
            owner=account.owner_sales, contract_end=closed + dt.timedelta(days=CONTRACT_DAYS) if won and closed else None))
        self.series(account, Episode("negotiation", opened, closed or self.today, covered), role="sales")
        if status == Opportunity.Status.WON:
            self.contract_years(account, won=closed, first_won=closed)

    def customer(self, account: Account, *, first_won: dt.date) -> None:
        """A customer since `first_won`: the first contract, then the renewals until one is not renewed."""
        rng = self.rng
        self.deals.append(Opportunity(
            external_id=f"{account.external_id}-W0", account=account, name=f"{account.name} 契約1",
            opened_on=first_won - dt.timedelta(days=rng.randint(20, 120)), closed_on=first_won, status="won",
            amount=rng.randrange(5, 300) * 100_000, owner=account.owner_sales,
            contract_end=first_won + dt.timedelta(days=CONTRACT_DAYS)))
        self.contract_years(account, won=first_won, first_won=first_won)

    def contract_years(self, account: Account, *, won: dt.date, first_won: dt.date) -> None:
        """Year after year from a won deal: touched (onboarding at first, then as a customer), then renewed by a
        new won deal before the contract ends, or churned, and now and then won back through a new lead."""
        rng, tier, k = self.rng, self.tiers.get(account.id, ""), 1
        while True:
            end = won + dt.timedelta(days=CONTRACT_DAYS)
            covered = self.covered(account.owner_csm if won == first_won else account.owner_sales, won)
            onboarding_end = min(first_won + dt.timedelta(days=183), end)
            if won < onboarding_end:
                self.series(account, Episode("onboarding", won, min(onboarding_end, self.today), covered), role="csm")
            if onboarding_end < min(end, self.today):
                self.series(account, Episode("customer", max(won, onboarding_end), min(end, self.today), covered),
                            role=rng.choice(("sales", "csm")))
                if covered and rng.random() < 0.8:
                    self.touch(account, self.day(max(won, onboarding_end), min(end, self.today)), human=True,
                               role="executive", stage="relation")
            if end > self.today:
                return
            if not self.chance(RENEWAL, RENEWAL_COVERED, tier, covered):
                break
            won = end - dt.timedelta(days=rng.randint(0, 25))
            self.deals.append(Opportunity(
                external_id=f"{account.external_id}-W{k}", account=account, name=f"{account.name} 契約{k + 1}",
                opened_on=won - dt.timedelta(days=rng.randint(20, 60)), closed_on=won, status="won",
                amount=rng.randrange(5, 300) * 100_000, owner=account.owner_sales,
                contract_end=won + dt.timedelta(days=CONTRACT_DAYS)))
            k += 1
        churned = won + dt.timedelta(days=CONTRACT_DAYS + 1)
        if churned < self.today:
            self.series(account, Episode("churned", churned, self.today, self.covered(account.owner_marketing,
                                                                                      churned)), role="marketing")
        if rng.random() < WIN_BACK:
            back = churned + dt.timedelta(days=rng.randint(60, 300))
            if back < self.today - dt.timedelta(days=3):
                self.lead(account, created=back)

    # --- touches ------------------------------------------------------------------------------------------------

    def series(self, account: Account, episode: Episode, *, role: str) -> None:
        """Touches through an episode, each gap drawn from its kind's covered or uncovered range; only from
        `touch_from` (what the nights read)."""
        rng = self.rng
        low, high = GAPS[episode.kind][0 if episode.covered else 1]
        human = episode.kind not in ("lead_digital", "churned")
        day = episode.start + dt.timedelta(days=rng.randint(0, low))
        while day <= episode.end:
            if day >= self.touch_from:
                self.touch(account, day, human=human, role=role, stage=STAGE_OF[episode.kind])
            day += dt.timedelta(days=rng.randint(low, high))

    def touch(self, account: Account, day: dt.date, *, human: bool, role: str, stage: str) -> None:
        """One touch by the account's owner in `role` (anyone of the role now and then), at a working hour."""
        rng = self.rng
        if day > self.today:
            return
        owner = getattr(account, f"owner_{role}", None)
        performer = owner if owner is not None and rng.random() < 0.85 else rng.choice(self.by_role[role])
        when = dt.datetime.combine(day, dt.time(rng.randint(8, 19), rng.choice((0, 15, 30, 45))), tzinfo=self.zone)
        kind = "human" if human else "digital"
        channel = rng.choice(HUMAN_CHANNELS if human else DIGITAL_CHANNELS)
        self.touches.append(Touch(
            account=account, occurred_at=when, occurred_on=day, kind=kind, channel=channel,
            content_stage=stage if rng.random() < 0.7 else rng.choice(STAGES), performer=performer,
            performer_role=role, source="manual",
            natural_key=touch_natural_key(account.id, when, kind, channel, performer.username)))

    def save(self) -> None:
        Lead.objects.bulk_create(self.leads, batch_size=2000)
        Opportunity.objects.bulk_create(self.deals, batch_size=2000)
        Touch.objects.bulk_create(self.touches, batch_size=5000, ignore_conflicts=True)
