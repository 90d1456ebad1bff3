import io

import pytest
from django.core.management import call_command

from accounts.models import Account
from core.choices import Role
from core.models import User
from core.timeutil import business_today
from engine.services import recompute_all

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_every_role_and_populates_many_states():
    call_command("seed_demo", "--accounts", "300", "--seed", "7", stdout=io.StringIO())
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert User.objects.get(username="sales1").check_password("demo-pass-2026")
    recompute_all(as_of=business_today())
    states = set(Account.objects.values_list("state", flat=True))
    assert {"ONBOARDING", "ACTIVE", "NEGOTIATION", "CHURNED", "HOT_LEAD", "LEAD", "TARGET_NO_LEAD"} <= states


def test_seed_demo_is_deterministic_for_a_seed_and_if_empty_does_nothing_the_second_time():
    call_command("seed_demo", "--accounts", "50", "--seed", "3", stdout=io.StringIO())
    names = list(Account.objects.order_by("external_id").values_list("name", "employees"))
    out = io.StringIO()
    call_command("seed_demo", "--accounts", "50", "--seed", "3", "--if-empty", stdout=out)
    assert out.getvalue().startswith("skipped") and Account.objects.count() == 50
    Account.objects.all().delete()
    call_command("seed_demo", "--accounts", "50", "--seed", "3", stdout=io.StringIO())
    assert list(Account.objects.order_by("external_id").values_list("name", "employees")) == names


def test_demo_logins_name_the_port_the_console_is_served_on():
    out = io.StringIO()
    call_command("demo_logins", "--port", "8001", stdout=out)
    assert "http://127.0.0.1:8001/login/" in out.getvalue()
    assert "demo-pass-2026" in out.getvalue()
