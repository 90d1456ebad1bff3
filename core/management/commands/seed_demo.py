"""A believable demo organisation: users of every role, accounts and ICP profiles; then months of leads, deals,
contracts and touches (core.demo_history), lived through by the real nights for past dates with their handoffs
decided between them (core.demo_handoffs) — so the dashboards have six months of nightly history to show."""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import OWNER_FIELDS, Account
from core.demo_handoffs import HandoffReplay, night_dates
from core.demo_history import HISTORY_DAYS, DemoStory, account_tiers
from core.models import BusinessSettings, User
from core.timeutil import business_today
from core.validators import corporate_number_check_digit
from engine.services import latest_completed_as_of
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
    # With their owners: the story reads them account by account (core.demo_history).
    return list(Account.objects.filter(external_id__in=[a.external_id for a in accounts]).order_by("id")
                .select_related(*OWNER_FIELDS))


class Command(BaseCommand):
    help = "Load a demo organisation (deterministic for a seed)."

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, default=3000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--history-days", type=int, default=HISTORY_DAYS,
                            help="how far back the nights run (weekly, then daily for the last weeks); 0: today only")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when accounts exist")

    def handle(self, *args, accounts: int, seed: int, history_days: int, if_empty: bool, **options):
        if history_days < 0:
            raise CommandError("--history-days: must be 0 or more.")
        if if_empty and Account.objects.exists():
            self.stdout.write(f"skipped: {Account.objects.count()} accounts exist")
            return
        latest, first_night = latest_completed_as_of(), business_today() - dt.timedelta(days=history_days)
        if latest is not None and latest > first_night:
            raise CommandError(f"seed_demo runs the nights from {first_night}, but a night ran for {latest} already: "
                               "load the demo into an empty database.")
        with transaction.atomic():
            counts = self.seed(n_accounts=accounts, rng=random.Random(seed), history_days=history_days)
        self.stdout.write(" ".join(f"{k}={v}" for k, v in counts.items()))

    def seed(self, *, n_accounts: int, rng: random.Random, history_days: int = HISTORY_DAYS) -> dict[str, int]:
        today = business_today()
        users = seed_users()
        by_role: dict[str, list[User]] = {}
        for user in users.values():
            by_role.setdefault(user.role, []).append(user)
        accounts = seed_accounts(n_accounts=n_accounts, rng=rng, by_role=by_role)
        profiles = self.seed_profiles(users["marketing1"])
        story = DemoStory(today=today, zone=BusinessSettings.load().zone, rng=rng, by_role=by_role,
                          tiers=account_tiers(accounts), history_days=history_days)
        for account in accounts:
            story.add_account(account)
        story.save()
        # The nights for past dates in order, and the handoffs' lives between them, from a stream of their own
        # drawn last (the organisation above is unchanged).
        nights = night_dates(today=today, history_days=history_days)
        handoffs = HandoffReplay(today=today, rng=random.Random(rng.getrandbits(32))).run(nights)
        return {"users": len(users), "accounts": len(accounts), "leads": len(story.leads),
                "opportunities": len(story.deals), "touches": len(story.touches), "profiles": profiles,
                "nights": len(nights), "handoffs": handoffs}

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
