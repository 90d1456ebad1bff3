"""CSV column spec for users (docs/api.md §2); types, lengths, choices and validators come from core.User."""

from core.choices import Language
from core.importing import Column, KindSpec
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
        Column("username", required=True, label_ja="ユーザー名"),
        Column("email", required=True, label_ja="メールアドレス"),
        Column("full_name", label_ja="氏名"),
        Column("role", required=True, label_ja="ロール"),
        Column("team", label_ja="チーム"),
        Column("language", label_ja="言語"),
    ),
    create_defaults=_user_defaults,
    prepare=_prepare_user,
    set_based=False,  # few rows, and the password is set through the model
)
