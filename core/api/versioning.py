"""ETag / If-Match for the API's configuration objects (docs/api.md §5, "Versions and conflicts").

GET answers carry `ETag: W/"<version>"` and the `version` field. A write may name the version it was made from,
as `If-Match` (one of our ETags, weak or strong) or as `version` in the body; when either is stale the write is
refused with 412 Precondition Failed and nothing is written. A write that names no version is not checked.
"""

from __future__ import annotations

import re

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from core.versioning import StaleVersion

_ETAG = re.compile(r'^\s*(?:W/)?"(\d+)"\s*$')
NO_MATCH = -1  # an If-Match that is not one of our ETags: matches no version (RFC 9110 §13.1.1 → 412)


def etag(version: int) -> str:
    return f'W/"{version}"'


def with_etag(response: Response, version: int | None) -> Response:
    if version is not None:
        response["ETag"] = etag(version)
    return response


def expected_versions(request) -> list[int]:
    """The versions a write says it was made from: If-Match's (each listed ETag; `*` checks nothing) and the
    body's `version`. Usually one; each must equal the current version."""
    expected: list[int] = []
    header = request.headers.get("If-Match", "").strip()
    if header and header != "*":
        tags = [_ETAG.match(tag) for tag in header.split(",")]
        # Any listed ETag may match (RFC 9110): one version wins only when it is the only one given.
        numbers = {int(m.group(1)) for m in tags if m}
        expected.append(numbers.pop() if len(numbers) == 1 and all(tags) else NO_MATCH)
    data = request.data if isinstance(request.data, dict) else {}
    if data.get("version") is not None:
        try:
            expected.append(int(data["version"]))
        except (TypeError, ValueError):
            raise ApiValidationError({"version": ["A whole number: the version this write was made from."]}) from None
    return expected


def expected_version(request, *, current: int) -> int | None:
    """The one version to check against `current`: a stale one if any is stale, else None when none was given."""
    versions = expected_versions(request)
    stale = [v for v in versions if v != current]
    if stale:
        return stale[0]
    return versions[0] if versions else None


def precondition_failed(exc: StaleVersion) -> Response:
    """412 with what changed since, and the current version's ETag to retry from."""
    response = Response(
        {"detail": f"{exc.label} changed since version {exc.expected if exc.expected >= 0 else '(unknown ETag)'}: "
                   f"it is at version {exc.current} now. Nothing was written; read it again and retry.",
         "version": exc.current, "changes": [c.as_json() for c in exc.changes]},
        status=status.HTTP_412_PRECONDITION_FAILED)
    return with_etag(response, exc.current)


# --- the schema: what a versioned write may send and answer ---------------------------------------------------

class ChangeSerializer(serializers.Serializer):
    by = serializers.CharField()
    at = serializers.DateTimeField()
    version = serializers.IntegerField(allow_null=True)
    fields = serializers.ListField(child=serializers.CharField())


class PreconditionFailedSerializer(serializers.Serializer):
    """The 412 answer: the current version and the audited writes since the one the client read."""

    detail = serializers.CharField()
    version = serializers.IntegerField()
    changes = ChangeSerializer(many=True)


IF_MATCH = OpenApiParameter(
    name="If-Match", type=str, location=OpenApiParameter.HEADER, required=False,
    description='The ETag read (W/"<version>"): a stale one answers 412 and writes nothing; '
                "without it (and without `version` in the body) the write is not checked (docs/api.md §5).")


def versioned_write(answer, *, request=None) -> dict:
    """extend_schema arguments for a write checked against If-Match / `version`."""
    responses = {412: PreconditionFailedSerializer}
    if answer is not None:
        responses = {200: answer, **responses}
    else:
        responses = {204: None, **responses}
    return {"parameters": [IF_MATCH], "responses": responses, **({"request": request} if request else {})}
