"""CSV column spec for users (interfaces.md §2)."""

from core.choices import Language, Role
from core.importing import CHOICE, EMAIL, TEXT, Column, KindSpec
from core.models import User


def _user_defaults(context) -> dict:
    return {"language": Language.JA}


def _prepare_user(user: User, context) -> None:
    if not user.pk and not user.password:
        user.set_unusable_password()  # imported users set their password through the reset flow


USERS = KindSpec(
    kind="users",
    model=User,
    key="username",
    columns=(
        Column("username", TEXT, required=True, label_ja="ユーザー名", max_length=150),
        Column("email", EMAIL, required=True, label_ja="メールアドレス"),
        Column("full_name", TEXT, label_ja="氏名", max_length=200),
        Column("role", CHOICE, required=True, label_ja="ロール", choices=tuple(Role.values)),
        Column("team", TEXT, label_ja="チーム", max_length=100),
        Column("language", CHOICE, label_ja="言語", choices=tuple(Language.values), empty=Language.JA),
    ),
    create_defaults=_user_defaults,
    prepare=_prepare_user,
    set_based=False,  # few rows, and the password is set through the model
)
