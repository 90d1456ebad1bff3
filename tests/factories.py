"""factory-boy factories shared by every test module."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from accounts.models import Account, Lead, Opportunity
from contacts.models import Touch
from core.choices import Role
from core.models import User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    full_name = factory.LazyAttribute(lambda u: u.username.title())
    role = Role.SALES
    password = factory.django.Password("pw")


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    external_id = factory.Sequence(lambda n: f"ACC-{n:06d}")
    name = factory.Sequence(lambda n: f"Company {n}")
    industry = "manufacturing"


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    external_id = factory.Sequence(lambda n: f"LEAD-{n:06d}")
    account = factory.SubFactory(AccountFactory)
    created_on = dt.date(2026, 1, 1)
    status = Lead.Status.OPEN
    score = 50


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opportunity

    external_id = factory.Sequence(lambda n: f"OPP-{n:06d}")
    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Deal {n}")
    opened_on = dt.date(2026, 1, 1)
    status = Opportunity.Status.OPEN


class TouchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Touch

    account = factory.SubFactory(AccountFactory)
    occurred_at = factory.LazyFunction(timezone.now)
    occurred_on = factory.LazyAttribute(lambda t: timezone.localtime(t.occurred_at, timezone=dt.timezone(dt.timedelta(hours=9))).date())
    kind = "human"
    channel = "visit"
    performer_role = Role.SALES


def kept_night(as_of, **fields):
    """A completed night whose dashboard figures are kept (dashboards.night_figures) — the pages read such nights;
    the test writes the figures it needs itself."""
    from dashboards.models import NightFigures
    from engine.models import RecomputeRun

    run = RecomputeRun.objects.create(as_of=as_of, status=RecomputeRun.Status.COMPLETED, **fields)
    NightFigures.objects.create(run=run, status=NightFigures.Status.SUCCEEDED)
    return run
