"""Writes on people (admins only): create or invite, change role, team or language, deactivate or reactivate,
send a password reset, lift a sign-in lock. Each in one transaction with an audit entry. People are never deleted:
touches, alerts and history point at them. A role change is recorded; past touches keep the role they were
performed in (`Touch.performer_role`, docs/rules.md §7)."""

from __future__ import annotations

from axes.utils import reset as axes_reset
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from .models import AuditEntry, User

EDITABLE_FIELDS = ("full_name", "email", "role", "team", "language")


def _snapshot(user: User) -> dict:
    return {field: getattr(user, field) for field in (*EDITABLE_FIELDS, "is_active")}


def _audit(*, actor: User, action: str, user: User, before: dict | None, after: dict | None) -> None:
    AuditEntry.objects.create(actor=actor, action=action, object_type="user", object_id=str(user.pk),
                              before=before, after=after)


class _OnePersonResetForm(PasswordResetForm):
    """Django's reset e-mail for one given person, also when they have no password yet (an invitation), which
    the public reset form refuses."""

    def __init__(self, *args, person: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.person = person

    def get_users(self, email):
        return [self.person] if self.person.is_active else []


def send_password_email(*, user: User, request: HttpRequest) -> None:
    """A link to set a password: an invitation for a new person, a reset for the others."""
    form = _OnePersonResetForm(data={"email": user.email}, person=user)
    if form.is_valid():
        form.save(request=request, use_https=request.is_secure(),
                  email_template_name="registration/password_reset_email.html")


@transaction.atomic
def user_create(*, actor: User, username: str, full_name: str, email: str, role: str, team: str, language: str,
                request: HttpRequest) -> User:
    """A new person without a password; the e-mail invites them to set one."""
    user = User(username=username, full_name=full_name, email=email, role=role, team=team, language=language)
    user.set_unusable_password()
    user.full_clean()
    user.save()
    _audit(actor=actor, action="user.create", user=user, before=None, after=_snapshot(user))
    transaction.on_commit(lambda: send_password_email(user=user, request=request))
    return user


@transaction.atomic
def user_update(*, actor: User, user: User, **changes) -> User:
    """Change a person's name, e-mail, role, team or language. A role change is its own audit action."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    user = User.objects.select_for_update().get(pk=user.pk)
    before = _snapshot(user)
    for field, value in changes.items():
        setattr(user, field, value)
    user.full_clean()
    user.save(update_fields=list(changes))
    after = _snapshot(user)
    if before["role"] != after["role"]:
        _audit(actor=actor, action="user.role_change", user=user, before={"role": before["role"]},
               after={"role": after["role"]})
    if before != after:
        _audit(actor=actor, action="user.update", user=user, before=before, after=after)
    return user


@transaction.atomic
def user_set_active(*, actor: User, user: User, active: bool) -> User:
    """Deactivate (they can no longer sign in; their history stays) or reactivate a person."""
    if not active and user.pk == actor.pk:
        raise ValidationError(_("You cannot deactivate yourself."))
    user = User.objects.select_for_update().get(pk=user.pk)
    before = _snapshot(user)
    user.is_active = active
    user.save(update_fields=["is_active"])
    _audit(actor=actor, action="user.activate" if active else "user.deactivate", user=user, before=before,
           after=_snapshot(user))
    return user


def user_send_password_reset(*, actor: User, user: User, request: HttpRequest) -> None:
    if not user.email:
        raise ValidationError(_("This person has no e-mail address to send a reset link to."))
    with transaction.atomic():
        _audit(actor=actor, action="user.password_reset", user=user, before=None, after={"email": user.email})
        transaction.on_commit(lambda: send_password_email(user=user, request=request))


@transaction.atomic
def user_unlock(*, actor: User, user: User) -> int:
    """Lift a sign-in lock (django-axes): the failed attempts recorded for this username are forgotten."""
    cleared = axes_reset(username=user.username)
    _audit(actor=actor, action="user.unlock", user=user, before={"failed_attempts_records": cleared}, after=None)
    return cleared
