"""seed_demo on small organisations, each test its own: deterministic for a seed, nothing done twice."""

import io

import pytest
from django.core.management import call_command

from accounts.models import Account
from engine.models import RecomputeRun
from handoffs.models import Handoff

pytestmark = pytest.mark.django_db


def _seed(accounts: int, seed: int, history_days: int) -> None:
    call_command("seed_demo", "--accounts", str(accounts), "--seed", str(seed), "--history-days", str(history_days),
                 stdout=io.StringIO())


def test_seed_demo_is_deterministic_for_a_seed_and_if_empty_does_nothing_the_second_time():
    call_command("seed_demo", "--accounts", "50", "--seed", "3", "--history-days", "0", stdout=io.StringIO())
    names = list(Account.objects.order_by("external_id").values_list("name", "employees"))
    out = io.StringIO()
    call_command("seed_demo", "--accounts", "50", "--seed", "3", "--if-empty", stdout=out)
    assert out.getvalue().startswith("skipped") and Account.objects.count() == 50
    Account.objects.all().delete()
    call_command("seed_demo", "--accounts", "50", "--seed", "3", "--history-days", "0", stdout=io.StringIO())
    assert list(Account.objects.order_by("external_id").values_list("name", "employees")) == names


def test_seed_demo_draws_the_same_handoffs_for_a_seed():
    _seed(accounts=120, seed=5, history_days=21)

    def drawn():
        return list(Handoff.objects.order_by("account__external_id", "created_on").values_list(
            "account__external_id", "created_on", "to_role", "status", "reason"))

    first = drawn()
    assert first
    Account.objects.all().delete()
    RecomputeRun.objects.all().delete()  # the nights run again from the first
    _seed(accounts=120, seed=5, history_days=21)
    assert drawn() == first


def test_demo_logins_name_the_port_the_console_is_served_on():
    out = io.StringIO()
    call_command("demo_logins", "--port", "8001", stdout=out)
    assert "http://127.0.0.1:8001/login/" in out.getvalue()
    assert "demo-pass-2026" in out.getvalue()
