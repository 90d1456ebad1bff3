"""A touch's channel, kind and content stage are the Touch model's choices, whichever way the touch arrives:
the API, the log-a-touch form, or straight into the database."""

import pytest
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from contacts.forms import TouchLogForm
from contacts.models import Touch
from core.choices import Channel
from tests.factories import AccountFactory, TouchFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(marketer):
    client = APIClient()
    client.force_authenticate(marketer)
    return client


def touch(**changes) -> dict:
    return {"account_external_id": "ACC-1", "occurred_at": "2026-07-01 10:00", "kind": "digital",
            "performer_role": "marketing", **changes}


@pytest.mark.parametrize(("field", "value"), [("channel", "fax"), ("channel", "Visit"), ("kind", "pigeon"),
                                              ("content_stage", "dessert"), ("performer_role", "pilot"),
                                              ("external_id", "x" * 101)])
def test_a_touch_outside_the_models_choices_is_refused_by_the_api_with_the_field_named(api, field, value):
    AccountFactory(external_id="ACC-1")
    response = api.post("/api/v1/touches/", touch(**{field: value}), format="json")
    assert response.status_code == 400 and field in response.json()
    assert not Touch.objects.exists()


@pytest.mark.parametrize("channel", ["", *Channel.values])
def test_every_channel_of_the_model_is_taken(api, channel):
    AccountFactory(external_id="ACC-1")
    response = api.post("/api/v1/touches/", touch(channel=channel), format="json")
    assert response.status_code == 201, response.content
    assert Touch.objects.get().channel == channel


def test_the_touch_form_offers_the_models_channels_only():
    assert TouchLogForm(data={"kind": "human", "channel": "visit"}).is_valid()
    form = TouchLogForm(data={"kind": "human", "channel": "fax"})
    assert not form.is_valid() and "channel" in form.errors
    assert [value for value, _label in form.fields["channel"].choices] == ["", *Channel.values]


def test_the_database_refuses_an_unknown_channel():
    stored = TouchFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Touch.objects.filter(pk=stored.pk).update(channel="fax")
