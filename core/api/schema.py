"""The OpenAPI schema's house rules (settings.REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]).

drf-spectacular documents the answer a view gives when all goes well; the errors every view may answer come from
DRF itself (docs/api.md §5, "Errors"), so they are documented here once for all, with one shared `Error`
component: 400 where the request carries input (a body, query filters or pagination), 401 wherever credentials
are read (a bad token is refused even where no sign-in is needed), 403 where the view needs a signed-in user with
a role, 404 where the path names an object, 412 (and the `If-Match` header) on the writes of an object that
carries a `version` (core/api/versioning.py), 415 on writes. A view names any other error it answers in
`schema_error_statuses` (say, 429 on the token endpoint), documented with the same component.

Filters and pagination belong to the GET of a list: a POST answering a list (`POST touches/`) takes neither.
Request bodies are documented as JSON, the API's one documented body format (docs/api.md §5). A text field says
what DRF takes: no NUL character, and, unless it may be blank, something besides white space (DRF trims it).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent, force_instance, is_serializer
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny

ERROR_COMPONENT = "Error"
# Validation errors name the field (or, for a list body, the item index) with its messages; other errors say
# `detail`. Either way a JSON object.
ERROR_SCHEMA = {
    "type": "object",
    "description": "`{\"detail\": \"…\"}`, or field (or list index) → messages for a validation error.",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {},
}
ERROR_DESCRIPTIONS = {
    "400": _("Invalid input: the field or parameter and what is wrong with it."),
    "401": _("Not signed in: no credentials, or a bad token (WWW-Authenticate: Token)."),
    "403": _("Signed in without the role this needs."),
    "404": _("No such object, or not one you may act on."),
    "412": _("The object changed since the version this write names (If-Match or `version`); nothing was written."),
    "415": _("A body that is not JSON."),
}
WRITE_METHODS = ("POST", "PUT", "PATCH")
# Text DRF accepts: no NUL anywhere (its ProhibitNullCharactersValidator) …
ANY_TEXT = r"^[^\x00]*$"
# … and, for a field that may not be blank, a character that is not white space (DRF trims before it checks).
NON_BLANK_TEXT = r"^[^\x00]*[^\x00\s][^\x00]*$"


TEXT_FIELDS = (serializers.CharField,)


class AutoSchema(SpectacularAutoSchema):
    def error_ref(self) -> dict:
        component = ResolvedComponent(name=ERROR_COMPONENT, type=ResolvedComponent.SCHEMA, object=ERROR_COMPONENT,
                                      schema=ERROR_SCHEMA)
        self.registry.register_on_missing(component)
        return component.ref

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self.error_statuses():
            responses.setdefault(code, self.error_response(code))
        return responses

    def error_statuses(self) -> list[str]:
        codes = []
        # Declared query parameters: OpenApiParameter(location="query"), or a serializer of them.
        query = [p for p in self.get_override_parameters()
                 if getattr(p, "location", "query") == "query" and not isinstance(p, dict)]
        takes_input = self.method in WRITE_METHODS or bool(self._get_filter_parameters()
                                                             or self._get_pagination_parameters() or query)
        if takes_input:
            codes.append("400")
        if self.view.get_authenticators():
            codes.append("401")
        if not all(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            codes.append("403")
        if "{" in self.path:
            codes.append("404")
        if self.is_versioned_write():
            codes.append("412")
        if self.method in WRITE_METHODS and self.get_request_serializer() is not None:
            codes.append("415")
        codes += [str(code) for code in getattr(self.view, "schema_error_statuses", {})]
        return sorted(codes)

    def error_response(self, code: str) -> dict:
        description = getattr(self.view, "schema_error_statuses", {}).get(int(code)) or ERROR_DESCRIPTIONS.get(code, "")
        return {"content": {"application/json": {"schema": self.error_ref()}}, "description": str(description)}

    def is_versioned_write(self) -> bool:
        return self.method in ("PUT", "PATCH", "DELETE") and self.carries_a_version()

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self.is_versioned_write():
            parameters = [*parameters, OpenApiParameter(
                "If-Match", str, OpenApiParameter.HEADER,
                description="The ETag of the version this write was made from; a stale one answers 412.")]
        return parameters

    def carries_a_version(self) -> bool:
        """An object answered with its `version` refuses a write naming a stale one (core/api/versioning.py)."""
        serializer = self.get_response_serializers()
        return isinstance(serializer, serializers.Serializer) and "version" in serializer.fields

    def map_parsers(self):
        # JSON where the view reads it (the default parsers); a view that chose other parsers (an upload) keeps them.
        media_types = super().map_parsers()
        json_types = [media_type for media_type in media_types
                      if any(isinstance(p, JSONParser) and p.media_type == media_type for p in self.view.get_parsers())]
        return json_types or media_types

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (direction == "request" and type(field) in TEXT_FIELDS and schema.get("type") == "string"
                and "pattern" not in schema and "enum" not in schema and "format" not in schema):
            schema["pattern"] = ANY_TEXT if field.allow_blank else NON_BLANK_TEXT
        return schema

    def _get_filter_parameters(self):
        parameters = super()._get_filter_parameters()
        for parameter in parameters:
            # An empty value is no filter (django-filter, and the pages' forms send one for "all").
            if parameter["in"] == "query" and parameter["name"] != "ordering":
                parameter["schema"] = {"anyOf": [parameter["schema"], {"type": "string", "maxLength": 0}]}
        return parameters

    def get_auth(self):
        auths = super().get_auth()
        # Where no sign-in is needed (the token endpoint), a request without credentials is documented too.
        if all(isinstance(p, AllowAny) for p in self.view.get_permissions()) and {} not in auths:
            auths.append({})
        return auths

    def _process_override_parameters(self, direction="request"):
        result = super()._process_override_parameters(direction)
        # Query parameters read by a serializer: DRF reads an empty optional one as not given, as filters do.
        optional = {name for p in self.get_override_parameters() if is_serializer(p)
                    for name, field in force_instance(p).fields.items() if not field.required}
        for (name, location), parameter in result.items():
            if parameter and location == "query" and name in optional:
                parameter["schema"] = {"anyOf": [parameter["schema"], {"type": "string", "maxLength": 0}]}
        return result

    def get_filter_backends(self):
        return super().get_filter_backends() if self.method == "GET" else []

    def _get_paginator(self):
        return super()._get_paginator() if self.method == "GET" else None
