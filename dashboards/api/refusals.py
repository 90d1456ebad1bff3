"""How the dashboard APIs refuse filters they cannot read: a 400 naming each parameter with its messages, whether
the parameter was refused as it was parsed (dashboards.filtering.parse_filters) or by the figures (a night that did
not complete, a period too long)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rest_framework.exceptions import ValidationError

from dashboards.filtering import DashboardFilters, FilterError, parse_filters


@contextmanager
def refused_as_400() -> Iterator[None]:
    """A FilterError raised inside becomes DRF's 400 with the refused parameters' messages."""
    try:
        yield
    except FilterError as refused:
        raise ValidationError(refused.errors) from None


def request_filters(request) -> DashboardFilters:
    """The request's dashboard filters for its user; 400 naming the parameter it cannot read."""
    with refused_as_400():
        return parse_filters(request.query_params, request.user)
