from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .choices import Language, Role

# Where each role's work is. Reps and managers start on Today (managers have their own
# alerts there and the team's under "Alerts"); admins start on imports once that page exists.
LANDING_BY_ROLE = {
    Role.ADMIN: "core:imports",
}


def safe_next(request: HttpRequest, default: str) -> str:
    """The `next` field when it points into this site, else the default (no open redirects)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


@login_required
def home(request):
    for name in (LANDING_BY_ROLE.get(request.user.role), "today", "accounts:list", "admin:index"):
        if not name:
            continue
        try:
            return redirect(reverse(name))
        except NoReverseMatch:
            continue
    return redirect("/admin/")


@login_required
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language and remember it on the user, so it follows them to every device."""
    language = request.POST.get("language", "")
    response = HttpResponseRedirect(safe_next(request, reverse("home")))
    if language not in Language.values:
        return response
    if request.user.language != language:
        request.user.language = language
        request.user.save(update_fields=["language"])
    translation.activate(language)
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
    return response
