"""What a kind of file holds: its columns, each bound to the model field it fills, and what an import reports.

A `Column` names its CSV header and its model field; its type, length, choices, the value an empty cell stores
and the field's validators are read from that field when the `KindSpec` is built (`Column.bind`), never
restated. A value stated anyway is kept, and `disagreements` — run over every kind by
tests/importing/test_columns_agree_with_models.py — reports it when it differs from the field.
"""

from __future__ import annotations

import dataclasses
import unicodedata
import zoneinfo
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations

from core.validators import validate_corporate_number

TEXT, INT, DECIMAL, BOOL, DATE, DATETIME, LIST, EMAIL, CHOICE, USER, ACCOUNT, CORPORATE_NUMBER = (
    "text", "int", "decimal", "bool", "date", "datetime", "list", "email", "choice", "user", "account", "corporate_number",
)
TEXT_KINDS = (TEXT, EMAIL, CHOICE, CORPORATE_NUMBER)


class ImportAborted(Exception):
    """The file cannot be read at all (encoding, empty, header): one message, nothing written."""

    def __init__(self, message: str, *, line: int = 1, column: str = ""):
        super().__init__(message)
        self.line, self.column, self.message = line, column, message


@dataclasses.dataclass(frozen=True)
class RowError:
    line: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


# --- columns and their model fields -------------------------------------------------------------------


def kind_of_field(field: models.Field) -> str:
    """The column kind a model field implies (a foreign key: the user or account its cell names)."""
    if isinstance(field, models.ForeignKey):
        if field.related_model._meta.label_lower == settings.AUTH_USER_MODEL.lower():
            return USER
        if field.related_model._meta.label_lower == "accounts.account":
            return ACCOUNT
    elif field.choices:
        return CHOICE
    elif validate_corporate_number in field.validators:
        return CORPORATE_NUMBER
    elif isinstance(field, models.EmailField):
        return EMAIL
    elif isinstance(field, (models.CharField, models.TextField)):
        return TEXT
    elif isinstance(field, models.BooleanField):
        return BOOL
    elif isinstance(field, models.IntegerField):
        return INT
    elif isinstance(field, models.DecimalField):
        return DECIMAL
    elif isinstance(field, models.DateTimeField):  # before DateField, its base class
        return DATETIME
    elif isinstance(field, models.DateField):
        return DATE
    elif isinstance(field, models.JSONField) and field.default is list:
        return LIST
    raise TypeError(f"{field} cannot be imported from a CSV column")


def kinds_allowed(field: models.Field) -> tuple[str, ...]:
    """The kinds a column may state for a field: the one it implies."""
    return (kind_of_field(field),)


def validators_of_field(field: models.Field) -> tuple:
    """The field's validators. Integer fields: their own, then the range of their column type in the schema —
    PostgreSQL's, on any backend (Django asks the connection, and SQLite's would be 64 bits for every type).
    References (users, accounts) are checked by lookup: their id field's validators do not apply to a cell."""
    if isinstance(field, models.ForeignKey):
        return ()
    if isinstance(field, models.IntegerField):
        low, high = BaseDatabaseOperations.integer_field_ranges[field.get_internal_type()]
        return (*field.default_validators, *field._validators, MinValueValidator(low), MaxValueValidator(high))
    return tuple(field.validators)


def empty_of_field(field: models.Field, kind: str) -> Any:
    """What an empty cell stores under --blank-clears: NULL, else the field's default, else the empty value."""
    if field.null or kind in (USER, ACCOUNT):
        return None
    if field.has_default():
        return field.get_default()
    if kind == LIST:
        return []
    if kind in TEXT_KINDS:
        return ""
    return None


@dataclasses.dataclass(frozen=True)
class Column:
    """One CSV column. A spec states its header, its field (`attr`, default: the header), whether it is required
    (the file format's rule, docs/api.md §2) and its Japanese label; the rest is read from the field by bind()."""

    name: str  # canonical CSV header
    required: bool = False
    label_ja: str = ""
    attr: str = ""  # model field; defaults to name
    kind: str | None = None  # None: the kind the field implies (kind_of_field)
    # Read from the model field by bind(); stating them is restating the model (the guard test compares).
    max_length: int | None = None
    choices: tuple[str, ...] | None = None
    validators: tuple | None = dataclasses.field(default=None, compare=False)  # Django's validators do not hash
    empty: Any = dataclasses.field(default=None, compare=False)  # what a cleared cell stores
    model_field: models.Field | None = dataclasses.field(default=None, compare=False, repr=False)

    @property
    def field(self) -> str:
        return self.attr or self.name

    def bind(self, model: type[models.Model]) -> Column:
        """This column with everything not stated read from its model field."""
        model_field = model._meta.get_field(self.field)
        kind = self.kind or kind_of_field(model_field)
        return dataclasses.replace(
            self,
            kind=kind,
            max_length=self.max_length if self.max_length is not None else model_field.max_length,
            choices=self.choices if self.choices is not None else tuple(str(v) for v, _ in model_field.flatchoices),
            validators=self.validators if self.validators is not None else validators_of_field(model_field),
            empty=empty_of_field(model_field, kind),
            model_field=model_field,
        )

    @property
    def bounds(self) -> tuple[Any, Any]:
        """(lowest, highest) allowed value, from the field's MinValueValidator / MaxValueValidator."""
        lows = [v.limit_value for v in self.validators or () if type(v) is MinValueValidator]
        highs = [v.limit_value for v in self.validators or () if type(v) is MaxValueValidator]
        return (max(lows) if lows else None, min(highs) if highs else None)


def disagreements(spec: KindSpec) -> list[str]:
    """How each column of a spec differs from its model field (empty: they agree)."""
    model, found = spec.model, []
    derived = set(spec.derived_fields) | set(spec.sql_derived or ())
    for column in spec.columns:
        try:
            field = model._meta.get_field(column.field)
        except Exception:  # noqa: BLE001 - FieldDoesNotExist and friends: report, do not stop
            found.append(f"{column.name}: {model.__name__} has no field {column.field!r}")
            continue
        where = f"{column.name}: {model.__name__}.{field.name}"
        if column.kind not in kinds_allowed(field):
            found.append(f"{where} is read as {kinds_allowed(field)[0]}, the column as {column.kind}")
        if column.max_length != field.max_length:
            found.append(f"{where} has max_length {field.max_length}, the column {column.max_length}")
        choices = tuple(str(v) for v, _ in field.flatchoices)
        if column.choices != choices:
            found.append(f"{where} has choices {choices}, the column {column.choices}")
        if tuple(column.validators or ()) != validators_of_field(field):
            found.append(f"{where} has validators {validators_of_field(field)}, the column {column.validators}")
        if not column.required and field.name not in derived and not _stores_empty(field, column):
            found.append(f"{where} does not allow {column.empty!r}, which an empty cell of the column stores")
    return found


def _stores_empty(field: models.Field, column: Column) -> bool:
    """Whether the field takes what an empty cell of an optional column stores."""
    if column.empty is None:
        return field.null
    if column.empty in ("", []):
        return field.blank or (field.has_default() and field.get_default() == column.empty)
    return field.has_default() and field.get_default() == column.empty


# --- kinds -----------------------------------------------------------------------------------------


@dataclasses.dataclass
class KindSpec:
    kind: str
    model: type[models.Model]
    key: str  # column whose value identifies the row (external_id / username)
    columns: tuple[Column, ...]
    ignored: tuple[str, ...] = ()  # known derived columns (export_accounts) reported as ignored
    # Cross-field validation and defaults: (values, present columns, context) -> list of (column, message)
    check: Callable[[dict, set, ImportContext], list[tuple[str, str]]] | None = None
    # Final touches to a new or updated object before it is saved (derived fields).
    prepare: Callable[[models.Model, ImportContext], None] | None = None
    create_defaults: Callable[[ImportContext], dict] | None = None
    # Touches: rows without a key are identified by a natural key computed by this function.
    natural_key: Callable[[dict, ImportContext], str] | None = None
    # Fields `prepare` derives, compared to tell an update from an unchanged row.
    derived_fields: tuple[str, ...] = ()
    # The same derivations for the set-based PostgreSQL merge: db column -> SQL expression over the row's new
    # values, written {db_column}; {zone} is the business time zone.
    sql_derived: dict[str, str] | None = None
    # False: always the model-object path (users: passwords are set through the model).
    set_based: bool = True
    # The set-based path converts clean blocks column by column: given the block's staged columns (name -> text,
    # None for an empty cell), True when `check` cannot fail for any row (else the block is checked row by row).
    check_block: Callable[[dict[str, list]], bool] | None = None
    # The same for natural keys: the block's staged columns -> each row's natural key (None for a row with a key).
    natural_key_block: Callable[[dict[str, list], ImportContext], list[str | None]] | None = None

    def __post_init__(self) -> None:
        self.columns = tuple(column.bind(self.model) for column in self.columns)

    def by_name(self) -> dict[str, Column]:
        return {c.name: c for c in self.columns}


@dataclasses.dataclass
class ImportContext:
    zone: zoneinfo.ZoneInfo
    users: dict[str, Any] = dataclasses.field(default_factory=dict)  # username -> User (loaded once)
    accounts: dict[str, int] = dataclasses.field(default_factory=dict)  # external_id -> id (this batch)
    user_id: int | None = None  # the importing user, when there is one (a touch's recorded_by)

    def role_of(self, user_id: int) -> str:
        if not hasattr(self, "_roles"):
            self._roles = {u.id: u.role for u in self.users.values()}
        return self._roles.get(user_id, "")


@dataclasses.dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0
    rows: int = 0
    error_sample: list[RowError] = dataclasses.field(default_factory=list)
    warnings: list[str] = dataclasses.field(default_factory=list)
    encoding: str = ""

    @property
    def summary(self) -> str:
        return f"created={self.created} updated={self.updated} unchanged={self.unchanged} errors={self.errors}"


# --- headers ---------------------------------------------------------------------------------------


def resolve_header(
    spec: KindSpec, header: Sequence[str], mapping: dict[str, str] | None
) -> tuple[dict[int, Column], list[str], list[str]]:
    """Header cell index -> column; plus warnings (unknown or ignored columns) and missing required columns."""
    by_name = spec.by_name()
    by_label = {c.label_ja: c for c in spec.columns if c.label_ja}
    mapping = mapping or {}
    resolved: dict[int, Column] = {}
    warnings: list[str] = []
    for index, raw in enumerate(header):
        name = unicodedata.normalize("NFKC", raw).strip()
        target = mapping.get(raw.strip(), mapping.get(name, name))
        column = by_name.get(target) or by_label.get(target) or by_name.get(target.lower())
        if column is None:
            if target.lower() in spec.ignored:
                warnings.append(f"column {raw!r} is derived and ignored on import")
            else:
                warnings.append(f"unknown column {raw!r} ignored")
            continue
        if column in resolved.values():
            warnings.append(f"column {raw!r} repeats {column.name!r} and is ignored")
            continue
        resolved[index] = column
    present = {c.name for c in resolved.values()}
    missing = [c.name for c in spec.columns if c.required and c.name not in present]
    return resolved, warnings, missing


def mapping_for(spec: KindSpec, header: Sequence[str], mapping: dict[str, str] | None = None) -> dict[str, str | None]:
    """What each header cell would import into (None: ignored), for the import page's editable mapping."""
    resolved, _warnings, _missing = resolve_header(spec, header, mapping)
    return {cell: (resolved[i].name if i in resolved else None) for i, cell in enumerate(header)}
