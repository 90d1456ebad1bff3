"""What the OpenAPI schema says is what the API does: nullable fields are documented nullable, the ICP profile
endpoints document the JSON they answer, every operation documents the errors it can answer (one shared `Error`
component, core/api/schema.py), and a query parameter the API cannot read answers 400 naming it
(core/api/filters.py) — tests/api/test_schemathesis.py fuzzes the whole of it; these are the cases by name."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import models
from rest_framework import serializers

from core.choices import Role
from core.timeutil import business_today
from engine.services import recompute_all
from profiles.services import profile_save_json
from tests.core.test_serializers_agree_with_models import project_serializers
from tests.factories import AccountFactory, OpportunityFactory

pytestmark = pytest.mark.django_db

PROFILE = {"name": "Makers", "tiers": {"A": 80, "B": 50},
           "criteria": [{"attribute": "industry", "op": "eq", "value": "manufacturing", "weight": 1}]}


@pytest.fixture
def schema(client, personas):
    client.force_login(personas[Role.MANAGER])
    return client.get("/api/schema/?format=json").json()


def component(schema: dict, name: str) -> dict:
    return schema["components"]["schemas"][name]


def response_schema(schema: dict, path: str, method: str = "get", status: str = "200") -> dict:
    return schema["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]


# Nullable fields -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "fields"), [
    ("Account", ["owner_csm", "owner_sales", "owner_inside_sales", "owner_marketing", "owner_executive",
                 "icp_profile", "state_since", "employees"]),
    ("Opportunity", ["owner", "closed_on", "amount"]),
    ("Touch", ["performer", "recorded_by", "external_id"]),
    ("CoverageRow", ["assignee", "due_on"]),
    ("Alert", ["assignee", "resolved_on", "snoozed_until"]),
    ("Handoff", ["assignee", "decided_at"]),
    ("ProfileVersion", ["created_by"]),
    ("Profile", ["version"]),
])
def test_fields_that_may_be_null_are_documented_nullable(schema, name, fields):
    properties = component(schema, name)["properties"]
    assert [f for f in fields if not properties[f].get("nullable")] == []


def null_on_the_way(model: type[models.Model], source: str) -> bool | None:
    """Whether the model value at a dotted source may be None (a nullable field, or a nullable relation on the
    way to it); None when the source is not a model field path."""
    nullable = False
    for part in source.split("."):
        try:
            field = model._meta.get_field(part)
        except Exception:
            return None
        nullable = nullable or field.null
        model = field.related_model if field.is_relation else None
        if model is None and part != source.split(".")[-1]:
            return None
    return nullable


def test_every_answered_field_of_a_nullable_model_field_allows_null():
    found = []
    for serializer_class in project_serializers():
        model = getattr(getattr(serializer_class, "Meta", None), "model", None)
        if model is None:
            continue
        for name, field in serializer_class().fields.items():
            if field.write_only or field.source == "*" or isinstance(field, serializers.BaseSerializer):
                continue
            if null_on_the_way(model, field.source) and not field.allow_null:
                found.append(f"{serializer_class.__name__}.{name}")
    assert found == []


def test_an_account_without_owners_answers_them_as_null(client, personas):
    account = AccountFactory(external_id="NO-OWNER")
    client.force_login(personas[Role.SALES])
    answer = client.get(f"/api/v1/accounts/{account.id}/").json()
    assert answer["owner_csm"] is None and answer["icp_profile"] is None


# ICP profiles ----------------------------------------------------------------------------------------------------

def test_a_profile_is_documented_with_its_criteria_and_tiers(schema):
    profile = component(schema, "Profile")
    assert {"id", "version", "name", "description", "active", "tiers", "criteria"} <= set(profile["properties"])
    assert profile["properties"]["criteria"]["items"]["$ref"].endswith("/Criterion")
    criterion = component(schema, "Criterion")["properties"]
    assert "industry" in component(schema, criterion["attribute"]["$ref"].rsplit("/", 1)[1])["enum"]
    assert criterion["weight"]["maximum"] == 1000
    request = schema["paths"]["/api/v1/icp-profiles/"]["post"]["requestBody"]["content"]["application/json"]
    assert request["schema"]["$ref"].endswith("/ProfileRequest")


def test_versions_are_documented_as_the_list_they_answer(client, schema, personas):
    documented = response_schema(schema, "/api/v1/icp-profiles/{id}/versions/")
    assert documented["type"] == "array" and documented["items"]["$ref"].endswith("/ProfileVersion")
    version = profile_save_json(data=PROFILE, actor=personas[Role.MARKETING])
    profile_save_json(data={**PROFILE, "tiers": {"A": 90, "B": 40}}, actor=None)
    answer = client.get(f"/api/v1/icp-profiles/{version.profile_id}/versions/").json()
    assert [v["number"] for v in answer] == [2, 1]
    assert set(answer[0]) == set(component(schema, "ProfileVersion")["properties"])
    assert answer[0]["created_by"] is None and answer[1]["created_by"] == personas[Role.MARKETING].username
    assert answer[0]["tiers"] == {"A": 90, "B": 40}


def test_fit_scores_are_documented_as_the_cursor_page_they_answer(client, schema, personas):
    documented = response_schema(schema, "/api/v1/icp-profiles/{id}/fit-scores/")
    assert documented["$ref"].endswith("/FitScorePage")
    page = component(schema, "FitScorePage")["properties"]
    assert page["next"]["nullable"] and page["results"]["items"]["$ref"].endswith("/FitScore")
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/icp-profiles/{id}/fit-scores/"]["get"]["parameters"]}
    assert parameters["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 500}
    assert "cursor" in parameters
    version = profile_save_json(data=PROFILE, actor=personas[Role.MARKETING])
    AccountFactory(external_id="FIT-1", icp_profile_id=version.profile_id, icp_fit=90, icp_tier="A")
    answer = client.get(f"/api/v1/icp-profiles/{version.profile_id}/fit-scores/?page_size=1").json()
    assert set(answer) == {"next", "previous", "results"}
    assert set(answer["results"][0]) == set(component(schema, "FitScore")["properties"])
    assert client.get(f"/api/v1/icp-profiles/{version.profile_id}/fit-scores/?cursor=nope").status_code == 400


# Errors ----------------------------------------------------------------------------------------------------------

def test_the_common_errors_are_documented_with_one_shared_component(schema):
    error = component(schema, "Error")
    assert error["type"] == "object" and error["properties"]["detail"] == {"type": "string"}
    operations = schema["paths"]
    assert set(operations["/api/v1/accounts/"]["get"]["responses"]) == {"200", "400", "401", "403"}
    assert set(operations["/api/v1/accounts/{id}/"]["get"]["responses"]) == {"200", "401", "403", "404"}
    assert {"400", "401", "403", "404", "415"} <= set(operations["/api/v1/accounts/{id}/"]["patch"]["responses"])
    assert response_schema(schema, "/api/v1/accounts/{id}/", "get", "404")["$ref"].endswith("/Error")


def test_a_versioned_write_documents_if_match_and_412(schema):
    for path, method in [("/api/v1/standards/{state}/", "put"), ("/api/v1/segments/thresholds/", "patch"),
                         ("/api/v1/handoff-rules/{id}/", "delete"), ("/api/v1/icp-profiles/{id}/", "put")]:
        operation = schema["paths"][path][method]
        assert "412" in operation["responses"], (path, method)
        assert "If-Match" in [p["name"] for p in operation["parameters"] if p["in"] == "header"], (path, method)
    assert "412" not in schema["paths"]["/api/v1/accounts/{id}/"]["put"]["responses"]


def test_the_token_endpoint_documents_the_lockout_and_needs_no_sign_in(schema):
    operation = schema["paths"]["/api/v1/auth/token/"]["post"]
    assert {"200", "400", "429"} <= set(operation["responses"])
    assert {} in operation["security"]


def test_a_path_under_the_api_that_matches_nothing_answers_404_in_json(client, personas):
    client.force_login(personas[Role.MANAGER])
    for path in ["/api/v1/alerts/abc/", "/api/v1/touches/0.5/", "/api/v1/nothing-here/"]:
        response = client.get(path)
        assert response.status_code == 404 and response["Content-Type"] == "application/json", path
        assert "detail" in response.json()
    assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")


# Query parameters ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "parameter", "garbage"), [
    ("/api/v1/accounts/", "under_covered", "maybe"),
    ("/api/v1/accounts/", "owner", "mia"),
    ("/api/v1/accounts/", "state", "ASLEEP"),
    ("/api/v1/accounts/", "ordering", "password"),
    ("/api/v1/accounts/", "cursor", "not-a-cursor"),
    ("/api/v1/alerts/", "mine", "perhaps"),
    ("/api/v1/alerts/", "assignee", "nobody"),
    ("/api/v1/alerts/", "account", "ACC-1"),
    ("/api/v1/coverage/", "mine", "yes"),
    ("/api/v1/touches/", "kind", "telepathy"),
    ("/api/v1/touches/", "performer_role", "pope"),
    ("/api/v1/touches/", "occurred_from", "yesterday"),
    ("/api/v1/leads/", "account", "1.5"),
    ("/api/v1/opportunities/", "owner", "-1"),
    ("/api/v1/handoffs/", "assignee", "x"),
    ("/api/v1/handoffs/", "ordering", "due_at,-nope"),
])
def test_a_filter_value_the_api_cannot_read_answers_400_naming_the_parameter(client, personas, path, parameter,
                                                                              garbage):
    client.force_login(personas[Role.MANAGER])
    response = client.get(path, {parameter: garbage})
    assert response.status_code == 400, response.content[:300]
    assert list(response.json()) == [parameter]


@pytest.mark.parametrize("query", ["owner=999999", "under_covered=false", "under_covered=", "ordering=-name,id",
                                   "ordering=", "state=", "owner="])
def test_a_readable_filter_value_that_matches_nothing_or_nothing_at_all_answers_200(client, personas, query):
    client.force_login(personas[Role.MANAGER])
    assert client.get(f"/api/v1/accounts/?{query}").status_code == 200


def test_alerts_of_no_one_and_of_an_unknown_user_are_filters_not_errors(client, personas):
    account = AccountFactory(external_id="ACC-1", owner_sales=personas[Role.SALES])
    OpportunityFactory(account=account, opened_on=business_today() - dt.timedelta(days=20))
    recompute_all(as_of=business_today())
    client.force_login(personas[Role.MANAGER])
    everyone = client.get("/api/v1/alerts/").json()["results"]
    assert everyone
    assert client.get("/api/v1/alerts/?assignee=none").json()["results"] == []
    assert client.get("/api/v1/alerts/?assignee=999999").json()["results"] == []
    mine = client.get(f"/api/v1/alerts/?assignee={personas[Role.SALES].id}").json()["results"]
    assert len(mine) == len(everyone)


def test_the_pages_keep_their_own_yes_no_and_owner_values(client, personas):
    client.force_login(personas[Role.MANAGER])
    assert client.get("/accounts/?under_covered=unknown&owner=").status_code == 200
    assert client.get(f"/engine/alerts/?assignee=none&role=&team=").status_code == 200


# Bodies ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "field"), [
    ({"external_id": "N-1", "name": 12}, "name"),
    ({"external_id": "N-1", "name": "New", "employees": "12"}, "employees"),
    ({"external_id": "N-1", "name": "New", "is_target": "yes"}, "is_target"),
    ({"external_id": "N-1", "name": "New", "employees": True}, "employees"),
])
def test_a_json_body_value_of_another_type_than_documented_answers_400_naming_the_field(client, personas, body,
                                                                                       field):
    client.force_login(personas[Role.MANAGER])
    response = client.post("/api/v1/accounts/", body, content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_a_whole_number_written_as_a_float_is_a_whole_number(client, personas):
    client.force_login(personas[Role.MANAGER])
    body = {"external_id": "N-2", "name": "New", "employees": 12.0}
    assert client.post("/api/v1/accounts/", body, content_type="application/json").status_code == 201


def test_text_with_a_nul_character_answers_400_and_never_reaches_the_database(client, personas):
    # PostgreSQL refuses NUL in text and JSON columns: it used to answer 500 (POST alerts/reassign/, found by
    # schemathesis on PostgreSQL).
    client.force_login(personas[Role.MANAGER])
    for path, body in [("/api/v1/alerts/reassign/", {"ids": [1], "assignee": "mia\x00"}),
                       ("/api/v1/icp-profiles/", {**PROFILE, "criteria": [{**PROFILE["criteria"][0], "value": "\x00"}]})]:
        response = client.post(path, body, content_type="application/json")
        assert response.status_code == 400, path
        assert "NUL" in response.json()["detail"]


def test_a_state_that_is_no_state_in_a_path_answers_404(client, personas):
    client.force_login(personas[Role.MANAGER])
    assert client.get("/api/v1/standards/%00/").status_code == 404
    assert client.get("/api/v1/segments/lowercase/").status_code == 404


def test_an_ordering_with_anything_after_a_field_answers_400(client, personas):
    client.force_login(personas[Role.MANAGER])
    response = client.get("/api/v1/accounts/", {"ordering": "name\n"})
    assert response.status_code == 400 and list(response.json()) == ["ordering"]


def test_an_empty_optional_query_parameter_read_by_a_serializer_is_documented_as_not_given(schema):
    parameters = schema["paths"]["/api/v1/handoffs/feedback/"]["get"]["parameters"]
    start = next(p for p in parameters if p["name"] == "start")
    assert {"type": "string", "maxLength": 0} in start["schema"]["anyOf"]
