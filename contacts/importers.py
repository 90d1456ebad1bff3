"""CSV column spec for touches (docs/api.md §2); types, lengths, choices (channel too) and validators come from
contacts.Touch."""

import datetime as dt

from contacts.domain import touch_natural_key
from contacts.models import Touch
from core.choices import TouchSource
from core.importing import Column, KindSpec
from core.timeutil import business_date


def _check_touch(values: dict, present: set, context) -> list[tuple[str, str]]:
    if not values.get("performer") and not values.get("performer_role"):
        return [("performer_role", "performer_role is required when performer is empty")]
    return []


def _check_touch_block(columns: dict[str, list]) -> bool:
    """True when every row of a block names a performer or a performer_role (staged cells: None when empty)."""
    performer, role = columns.get("performer"), columns.get("performer_role")
    if (role is not None and None not in role) or (performer is not None and None not in performer):
        return True
    if role is None or performer is None:
        return False
    return all(p is not None or r is not None for p, r in zip(performer, role))


def _natural_key(values: dict, context) -> str:
    return touch_natural_key(
        context.accounts[values["account_external_id"]], values["occurred_at"], values["kind"],
        values.get("channel", ""), values.get("performer"),
    )


def _natural_keys_block(columns: dict[str, list], context) -> list[str | None]:
    """_natural_key over a block's staged columns (ids and timestamps as text, None for an empty cell)."""
    n = len(columns["account_external_id"])
    usernames = {str(user.id): name for name, user in context.users.items()}
    nothing = [None] * n  # a list, not one iterator: zip takes its own pass for each column that is absent
    keys = []
    for key, account, occurred_at, kind, channel, performer in zip(
        columns.get("external_id") or nothing, columns["account_external_id"], columns["occurred_at"],
        columns["kind"], columns.get("channel") or nothing, columns.get("performer") or nothing,
    ):
        if key is not None:
            keys.append(None)
            continue
        keys.append(touch_natural_key(int(account), dt.datetime.fromisoformat(occurred_at), kind, channel or "",
                                      usernames[performer] if performer is not None else None))
    return keys


def _prepare_touch(touch: Touch, context) -> None:
    touch.occurred_on = business_date(touch.occurred_at, context.zone)
    if not touch.performer_role and touch.performer_id:
        # The performer's role at the time of recording; later role changes do not rewrite history.
        touch.performer_role = context.role_of(touch.performer_id)


def _touch_defaults(context) -> dict:
    # Who recorded an imported touch: the importing user, or nobody (source csv tells it came by import).
    return {"source": TouchSource.CSV, "recorded_by_id": context.user_id}


TOUCHES = KindSpec(
    kind="touches",
    model=Touch,
    key="external_id",
    columns=(
        Column("external_id", label_ja="外部ID"),
        Column("account_external_id", required=True, label_ja="取引先外部ID", attr="account"),
        Column("occurred_at", required=True, label_ja="接触日時"),
        Column("kind", required=True, label_ja="種別"),
        Column("channel", label_ja="チャネル"),
        Column("content_stage", label_ja="コンテンツ段階"),
        Column("performer", label_ja="実施者"),
        Column("performer_role", label_ja="実施者ロール"),
        Column("note", label_ja="メモ"),
    ),
    check=_check_touch,
    check_block=_check_touch_block,
    natural_key=_natural_key,
    natural_key_block=_natural_keys_block,
    prepare=_prepare_touch,
    create_defaults=_touch_defaults,
    derived_fields=("occurred_on",),
    # The set-based merge (PostgreSQL) derives the same two fields as _prepare_touch.
    sql_derived={
        "occurred_on": "({occurred_at} AT TIME ZONE {zone})::date",
        "performer_role": "COALESCE(NULLIF({performer_role}, ''), (SELECT u.role FROM core_user u WHERE u.id = {performer_id}), '')",
    },
)
