"""The admins' people pages: the directory, a person's form, and the actions on a person (thin: each calls one
service in core.user_services)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from . import user_selectors, user_services
from .choices import Role
from .models import User
from .permissions import RoleRequiredMixin
from .user_forms import UserForm

ADMINS = (Role.ADMIN,)


class UserListView(RoleRequiredMixin, View):
    allowed_roles = ADMINS

    def get(self, request):
        filters = {key: request.GET.get(key, "").strip() for key in ("query", "role", "team", "active")}
        return render(request, "core/users/list.html", {
            "rows": user_selectors.user_directory(**filters), "filters": filters, "roles": Role.choices,
            "teams": user_selectors.teams(),
        })


class UserCreateView(RoleRequiredMixin, View):
    allowed_roles = ADMINS

    def get(self, request):
        return render(request, "core/users/form.html", {"form": UserForm(creating=True)})

    def post(self, request):
        form = UserForm(request.POST, creating=True)
        if form.is_valid():
            user = user_services.user_create(actor=request.user, request=request, **form.cleaned_data)
            messages.success(request, _("%(name)s was added and invited by e-mail to set a password.")
                             % {"name": user})
            return redirect("core:users")
        return render(request, "core/users/form.html", {"form": form}, status=400)


class UserEditView(RoleRequiredMixin, View):
    allowed_roles = ADMINS

    def get(self, request, pk: int):
        person = get_object_or_404(User, pk=pk)
        return render(request, "core/users/form.html", {"form": UserForm(instance=person), "person": person})

    def post(self, request, pk: int):
        person = get_object_or_404(User, pk=pk)
        form = UserForm(request.POST, instance=User.objects.get(pk=pk))
        if form.is_valid():
            user_services.user_update(actor=request.user, user=person, **form.cleaned_data)
            messages.success(request, _("%(name)s was saved.") % {"name": form.instance})
            return redirect("core:users")
        return render(request, "core/users/form.html", {"form": form, "person": person}, status=400)


ACTIONS = {
    "deactivate": lambda request, person: user_services.user_set_active(actor=request.user, user=person, active=False),
    "activate": lambda request, person: user_services.user_set_active(actor=request.user, user=person, active=True),
    "reset-password": lambda request, person: user_services.user_send_password_reset(
        actor=request.user, user=person, request=request),
    "unlock": lambda request, person: user_services.user_unlock(actor=request.user, user=person),
}


def action_done_message(action: str, person: User) -> str:
    return {
        "deactivate": _("%(name)s is deactivated: they can no longer sign in; their history stays."),
        "activate": _("%(name)s can sign in again."),
        "reset-password": _("A password-reset link was sent to %(name)s."),
        "unlock": _("The sign-in lock of %(name)s is lifted."),
    }[action] % {"name": person}


class UserActionView(RoleRequiredMixin, View):
    """GET asks to confirm (deactivation is the one that takes something away), POST does it."""

    allowed_roles = ADMINS

    def get(self, request, pk: int, action: str):
        person = get_object_or_404(User, pk=pk)
        if action not in ACTIONS:
            return redirect("core:users")
        return render(request, "core/users/confirm.html", {"person": person, "action": action})

    def post(self, request, pk: int, action: str):
        person = get_object_or_404(User, pk=pk)
        if action not in ACTIONS:
            return redirect("core:users")
        try:
            ACTIONS[action](request, person)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, action_done_message(action, person))
        return redirect("core:users")
