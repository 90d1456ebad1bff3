"""A believable demo organisation: users of every role, accounts, leads, deals, a year of touches and the last 90
days of handoffs (core.demo_handoffs)."""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Account, Lead, Opportunity
from contacts.domain import touch_natural_key
from contacts.models import Touch
from core.demo_handoffs import HandoffReplay
from core.models import BusinessSettings, User
from core.timeutil import business_today
from core.validators import corporate_number_check_digit
from profiles.services import profile_save

DEMO_PASSWORD = "demo-pass-2026"

# username, full name, role, team, language
DEMO_USERS: tuple[tuple[str, str, str, str, str], ...] = (
    ("admin", "管理 太郎", "admin", "", "ja"),
    ("manager", "Mia Manager", "manager", "east", "en"),
    ("manager2", "西川 真理", "manager", "west", "ja"),
    ("csm1", "佐藤 千佳", "csm", "east", "ja"),
    ("csm2", "Chris Success", "csm", "west", "en"),
    ("sales1", "鈴木 空", "sales", "east", "ja"),
    ("sales2", "Sam Sales", "sales", "west", "en"),
    ("sales3", "高橋 健", "sales", "west", "ja"),
    ("inside1", "井上 伊音", "inside_sales", "east", "ja"),
    ("inside2", "Ivy Inside", "inside_sales", "west", "en"),
    ("marketing1", "松本 舞", "marketing", "", "ja"),
    ("marketing2", "Mark Reach", "marketing", "", "en"),
    ("exec1", "江口 英二", "executive", "", "ja"),
)

JA_STEMS = ("山田", "東海", "北斗", "三和", "大和", "日進", "富士", "光洋", "昭栄", "新星", "明和", "青葉", "髙﨑", "丸紅", "中央")
JA_KINDS = ("工業", "製作所", "商事", "電機", "システムズ", "化学", "物流", "食品", "ソリューションズ", "精機")
EN_STEMS = ("Acme", "Blue Harbor", "Northwind", "Kestrel", "Summit", "Orion", "Pioneer", "Redwood", "Silverline", "Vertex")
EN_KINDS = ("Inc.", "Ltd.", "Holdings", "Technologies", "Group", "Partners")
INDUSTRIES = ("manufacturing", "it", "retail", "logistics", "finance", "healthcare", "construction", "food")
PREFECTURES = (("東京都", "関東"), ("神奈川県", "関東"), ("埼玉県", "関東"), ("大阪府", "関西"), ("京都府", "関西"),
               ("愛知県", "中部"), ("福岡県", "九州"), ("北海道", "北海道"), ("宮城県", "東北"), ("広島県", "中国"))
DEPARTMENTS = ("marketing", "sales", "it", "hr", "finance", "r_and_d")
TECHNOLOGIES = ("salesforce", "hubspot", "marketo", "kintone", "sap", "slack", "teams")
HUMAN_CHANNELS = ("visit", "phone", "online_meeting", "seminar")
DIGITAL_CHANNELS = ("email", "webinar", "newsletter", "web_visit")
STAGES = ("education", "solution", "selection", "negotiation", "relation")


def corporate_number(rng: random.Random) -> str:
    body = "".join(rng.choice("0123456789") for _ in range(12))
    return f"{corporate_number_check_digit(body)}{body}"


def seed_users() -> dict[str, User]:
    """The demo users of every role, all with the demo password; run again, they are updated, not duplicated."""
    password = make_password(DEMO_PASSWORD)
    users = {}
    for username, full_name, role, team, language in DEMO_USERS:
        user, _ = User.objects.update_or_create(
            username=username,
            defaults=dict(full_name=full_name, role=role, team=team, language=language,
                          email=f"{username}@example.com", password=password,
                          is_staff=role == "admin", is_superuser=role == "admin"),
        )
        users[username] = user
    return users


def seed_accounts(*, n_accounts: int, rng: random.Random, by_role: dict[str, list[User]]) -> list[Account]:
    """`n_accounts` companies numbered after those that exist, each with an owner per role."""
    start = Account.objects.count()
    accounts = []
    for i in range(n_accounts):
        if rng.random() < 0.7:
            name = f"株式会社{rng.choice(JA_STEMS)}{rng.choice(JA_KINDS)}"
        else:
            name = f"{rng.choice(EN_STEMS)} {rng.choice(EN_KINDS)}"
        prefecture, region = rng.choice(PREFECTURES)
        accounts.append(Account(
            external_id=f"DEMO-{start + i + 1:06d}", name=name, corporate_number=corporate_number(rng),
            domain=f"demo{start + i + 1}.example.jp", industry=rng.choice(INDUSTRIES), listed=rng.random() < 0.2,
            employees=int(rng.lognormvariate(5, 1.3)), annual_revenue=rng.randrange(50, 50000) * 1_000_000,
            revenue_growth_pct=round(rng.uniform(-10, 30), 1), promo_budget=rng.randrange(0, 500) * 100_000,
            avg_order_amount=rng.randrange(1, 300) * 100_000,
            departments=rng.sample(DEPARTMENTS, rng.randint(1, 4)), regions=[region],
            technologies=rng.sample(TECHNOLOGIES, rng.randint(0, 3)), prefecture=prefecture,
            is_target=rng.random() < 0.92,
            owner_csm=rng.choice(by_role["csm"]), owner_sales=rng.choice(by_role["sales"]),
            owner_inside_sales=rng.choice(by_role["inside_sales"]), owner_marketing=rng.choice(by_role["marketing"]),
            owner_executive=by_role["executive"][0] if rng.random() < 0.3 else None,
        ))
    Account.objects.bulk_create(accounts, batch_size=1000)
    return list(Account.objects.filter(external_id__in=[a.external_id for a in accounts]).order_by("id"))


class DemoHistory:
    """Each account's leads, deals and a year of touches, drawn in account order from one random stream (so a
    seed gives the same organisation every time), then written in three bulk inserts."""

    def __init__(self, *, today: dt.date, zone, rng: random.Random, by_role: dict[str, list[User]]) -> None:
        self.today, self.zone, self.rng, self.by_role = today, zone, rng, by_role
        self.leads: list[Lead] = []
        self.deals: list[Opportunity] = []
        self.touches: list[Touch] = []

    def add_account(self, account: Account) -> None:
        profile = self.rng.random()
        if profile < 0.30:
            self._customer(account)
        elif profile < 0.42:
            self._negotiation(account)
        elif profile < 0.75:
            self._lead(account)
        self._touches(account, busy=profile < 0.42)

    def _customer(self, account: Account) -> None:
        """Won deals, some long-standing, some churned."""
        rng, today = self.rng, self.today
        n_won = rng.choice((1, 1, 2, 3, 4))
        first = today - dt.timedelta(days=rng.randint(20, 1400))
        for k in range(n_won):
            closed = min(today - dt.timedelta(days=1), first + dt.timedelta(days=k * rng.randint(90, 300)))
            self.deals.append(Opportunity(
                external_id=f"{account.external_id}-W{k}", account=account, name=f"{account.name} 契約{k + 1}",
                opened_on=closed - dt.timedelta(days=rng.randint(20, 120)), closed_on=closed, status="won",
                amount=rng.randrange(1, 200) * 100_000, owner=account.owner_sales,
                contract_end=closed + dt.timedelta(days=rng.choice((365, 365, 730))) if rng.random() < 0.8 else None,
            ))

    def _negotiation(self, account: Account) -> None:
        rng, today = self.rng, self.today
        self.deals.append(Opportunity(
            external_id=f"{account.external_id}-N", account=account, name=f"{account.name} 新規商談",
            opened_on=today - dt.timedelta(days=rng.randint(1, 90)), status="open",
            amount=rng.randrange(1, 200) * 100_000, owner=account.owner_sales,
        ))
        if rng.random() < 0.3:
            self.deals.append(Opportunity(
                external_id=f"{account.external_id}-L", account=account, opened_on=today - dt.timedelta(days=400),
                closed_on=today - dt.timedelta(days=300), status="lost", amount=rng.randrange(1, 50) * 100_000,
            ))

    def _lead(self, account: Account) -> None:
        """A lead of any temperature."""
        rng = self.rng
        self.leads.append(Lead(
            external_id=f"{account.external_id}-LD", account=account,
            created_on=self.today - dt.timedelta(days=rng.randint(1, 200)), status="open",
            score=rng.choice((None, rng.randint(0, 100))), source=rng.choice(("web", "seminar", "referral", "ad")),
            contact_name=rng.choice(("田中 一郎", "Alex Kim", "山本 花子", "Jordan Lee")),
            contact_email=f"contact@demo{account.id}.example.jp",
        ))

    def _touches(self, account: Account, *, busy: bool) -> None:
        """A year of touches, denser for customers and deals."""
        rng = self.rng
        for _ in range(rng.randint(0, 40 if busy else 15)):
            human = rng.random() < (0.6 if busy else 0.3)
            role = rng.choice(("csm", "sales", "inside_sales", "executive") if human else ("marketing",))
            performer = rng.choice(self.by_role[role])
            when = dt.datetime.combine(
                self.today - dt.timedelta(days=int(rng.triangular(0, 365, 0))),
                dt.time(rng.randint(8, 19), rng.choice((0, 15, 30, 45))), tzinfo=self.zone,
            )
            channel = rng.choice(HUMAN_CHANNELS if human else DIGITAL_CHANNELS)
            kind = "human" if human else "digital"
            self.touches.append(Touch(
                account=account, occurred_at=when, occurred_on=when.date(), kind=kind, channel=channel,
                content_stage=rng.choice(STAGES), performer=performer, performer_role=role, source="manual",
                natural_key=touch_natural_key(account.id, when, kind, channel, performer.username),
            ))

    def save(self) -> None:
        Lead.objects.bulk_create(self.leads, batch_size=2000)
        Opportunity.objects.bulk_create(self.deals, batch_size=2000)
        Touch.objects.bulk_create(self.touches, batch_size=5000, ignore_conflicts=True)


class Command(BaseCommand):
    help = "Load a demo organisation (deterministic for a seed)."

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, default=3000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--if-empty", action="store_true", help="do nothing when accounts exist")

    def handle(self, *args, accounts: int, seed: int, if_empty: bool, **options):
        if if_empty and Account.objects.exists():
            self.stdout.write(f"skipped: {Account.objects.count()} accounts exist")
            return
        with transaction.atomic():
            counts = self.seed(n_accounts=accounts, rng=random.Random(seed))
        self.stdout.write(" ".join(f"{k}={v}" for k, v in counts.items()))

    def seed(self, *, n_accounts: int, rng: random.Random) -> dict[str, int]:
        today = business_today()
        users = seed_users()
        by_role: dict[str, list[User]] = {}
        for user in users.values():
            by_role.setdefault(user.role, []).append(user)
        accounts = seed_accounts(n_accounts=n_accounts, rng=rng, by_role=by_role)
        history = DemoHistory(today=today, zone=BusinessSettings.load().zone, rng=rng, by_role=by_role)
        for account in accounts:
            history.add_account(account)
        history.save()
        profiles = self.seed_profiles(users["marketing1"])
        # The last 90 days of handoffs, from a stream of their own drawn last (the organisation above is unchanged).
        handoffs = HandoffReplay(today=today, rng=random.Random(rng.getrandbits(32))).run()
        return {"users": len(users), "accounts": len(accounts), "leads": len(history.leads),
                "opportunities": len(history.deals), "touches": len(history.touches), "profiles": profiles,
                "handoffs": handoffs}

    def seed_profiles(self, author: User) -> int:

        profile_save(name="Mid-market manufacturers", description="製造業の中堅企業", actor=author, criteria=[
            {"attribute": "industry", "op": "in", "value": ["manufacturing"], "weight": 30},
            {"attribute": "employees", "op": "between", "value": [100, 5000], "weight": 20},
            {"attribute": "departments", "op": "contains", "value": "marketing", "weight": 10},
            {"attribute": "technologies", "op": "contains_any", "value": ["salesforce", "hubspot", "marketo"], "weight": 20},
            {"attribute": "revenue_growth_pct", "op": "gte", "value": 5, "weight": 20},
        ])
        profile_save(name="Digital-first services", description="IT・金融のデジタル志向企業", actor=author, criteria=[
            {"attribute": "industry", "op": "in", "value": ["it", "finance"], "weight": 40},
            {"attribute": "listed", "op": "is_true", "weight": 20},
            {"attribute": "regions", "op": "in", "value": ["関東", "関西"], "weight": 40},
        ])
        return 2
