"""Signing in, guarded against guessing: the login page and the API token endpoint are watched by django-axes
(settings.AXES_*: a username locked out after AXES_FAILURE_LIMIT failures in a row, until the cool-off passes or
an admin lifts it), and password-reset requests are throttled per client address and per e-mail address."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response

LOCKED_OUT = _("Too many failed sign-ins for this account: it is locked for now. Try again later, or ask an "
               "administrator to lift the lock.")
RESET_THROTTLED = _("Too many password-reset requests. Try again in an hour.")


class TokenView(ObtainAuthToken):
    """POST username and password, get the user's API token. A locked-out username answers 429 with a message,
    whatever the password."""

    schema_error_statuses = {429: _("This username is locked after too many failed sign-ins (settings.AXES_*).")}

    def post(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            # axes marks the request it refused; DRF keeps such marks on its own Request or on the Django one.
            if getattr(request, "axes_locked_out", False) or getattr(request._request, "axes_locked_out", False):
                return Response({"detail": LOCKED_OUT}, status=status.HTTP_429_TOO_MANY_REQUESTS)
            return Response(serializer.errors, status=status.HTTP_400_BAD_REQUEST)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


def reset_requests_exceeded(request: HttpRequest, email: str) -> bool:
    """Counts this request against its client address and its e-mail address (an hour each); True once either
    has made more than PASSWORD_RESET_REQUESTS_PER_HOUR."""
    limit = settings.PASSWORD_RESET_REQUESTS_PER_HOUR
    exceeded = False
    for key in (f"password-reset:ip:{request.META.get('REMOTE_ADDR', '')}", f"password-reset:email:{email.lower()}"):
        cache.add(key, 0, timeout=3600)
        exceeded = cache.incr(key) > limit or exceeded
    return exceeded


class ThrottledPasswordResetView(auth_views.PasswordResetView):
    def form_valid(self, form):
        if reset_requests_exceeded(self.request, form.cleaned_data["email"]):
            form.add_error(None, RESET_THROTTLED)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)
