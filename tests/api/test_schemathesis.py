"""The API against its own OpenAPI schema, fuzzed by schemathesis: every operation, signed in as an admin
(a token), through the WSGI application, with every built-in check schemathesis enables by default (no 500, only
documented statuses, content types and headers, answers in the documented shape, schema-invalid input refused,
schema-valid input accepted, authentication not ignored, undocumented methods refused …).

Bounded and repeatable: schemathesis' explicit and coverage phases (boundary values of every parameter and body
field, deterministic) plus MAX_EXAMPLES fuzzed cases per operation, derandomized, no deadline (the first request
of an operation warms caches), no example database. About 4,000 requests, a minute of CPU (three minutes of wall
time on a busy two-core machine). A failure prints the request as a curl command to reproduce it."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token

from core.choices import Role
from core.timeutil import business_today
from engine.services import recompute_all
from tests.factories import AccountFactory, OpportunityFactory, UserFactory

MAX_EXAMPLES = 4


@pytest.fixture
def one_connection():
    """The requests share the test's transaction, as Django's test client arranges: Django closes a connection
    that is not in autocommit at the end of a request (close_old_connections), which on PostgreSQL would end the
    test's own."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def admin_token(db, one_connection) -> str:
    admin = UserFactory(username="fuzz-admin", role=Role.ADMIN)
    # Something to read: an account with a deal, its coverage rows and alerts after a night.
    account = AccountFactory(external_id="FUZZ-1", name="Fuzz Ltd", owner_sales=admin)
    OpportunityFactory(account=account, opened_on=business_today() - dt.timedelta(days=20))
    recompute_all(as_of=business_today())
    return Token.objects.create(user=admin).key


def served_schema() -> dict:
    """The schema /api/schema/ serves, as JSON (generated from the code; no database needed)."""
    generator = SchemaGenerator()
    return json.loads(OpenApiJsonRenderer().render(generator.get_schema(request=None, public=True)))


# Loaded when the module is collected, so each operation is a test of its own. (A schema from a fixture,
# schemathesis.pytest.from_fixture, does not run under pytest 9.)
schema = schemathesis.openapi.from_dict(served_schema(), config=schemathesis.Config.from_dict({
    # A cursor is opaque: a client sends back the one an answer gave (tests/api/test_schema_truth.py checks that
    # any other answers 400 naming `cursor`). The empty cursor is the first page.
    "parameters": {"query.cursor": ""},
    "operations": [{
        # A write the schema allows may still be refused for what only the database knows: an account id or
        # external id that does not exist, an external id already taken, a rule across fields (a deal closing
        # before it opens, criteria that contradict) answer 400 naming the field; an If-Match that is not the
        # current version answers 412. A read never may refuse what its schema allows.
        "include-method": ["POST", "PUT", "PATCH", "DELETE"],
        "checks": {"positive_data_acceptance": {
            "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "412"]}},
    }, {
        # The dashboards' reads take a night or a period (docs/api.md, dashboards): a period of more than two years,
        # or a night the kept figures do not hold, answers 400 naming the parameter — rules between values, or
        # about what the nights kept, that a schema cannot state; an empty parameter means its default, as on
        # the pages. Every other check applies to them as to the rest.
        "include-path-regex": "^/api/v1/dashboards/",
        "include-method": ["GET"],
        "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "400", "404"]},
                   "negative_data_rejection": {"enabled": False}},
    }],
}))
schema.app = get_wsgi_application()


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_the_api_keeps_the_promises_of_its_schema(case, admin_token):
    case.call_and_validate(headers={"Authorization": f"Token {admin_token}"})
