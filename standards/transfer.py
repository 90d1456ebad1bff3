"""Export and import of the whole coverage standard, as CSV (Excel: UTF-8 with BOM) and JSON (docs/api.md §5,
"Standards export and import").

CSV: one row per requirement; a state without requirements has one row with the requirement columns empty, so
its purpose and content plan travel too. Lists (performer roles, content stages, channels) are codes joined by
";" (the import takes "|" too); a text starting like a formula gets a leading "'" (core.csvio), removed on import. Headers are English codes or Japanese labels (`COLUMNS`); the import takes either, and values as codes or as
their English or Japanese labels. An import validates every row first and writes all or nothing: each state in
the file is replaced as a whole through standards.services.standard_update (versioned, audited); states not in
the file stay as they are."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from core.choices import Channel, ContentStage, Role, State, TouchKind
from core.csvio import FORMULA_PREFIXES, format_cell
from core.models import User

from .models import Standard
from .selectors import standards_in_state_order
from .services import (REQUIREMENT_FIELDS, standard_snapshot, standard_update, validate_plan,
                       validate_requirements)

FORMAT = "coverage-standard"
SEPARATOR = ";"
STANDARD_FIELDS = ("state", "purpose", "owner_role", "content_stages", "channels")
# (column, Japanese header) in file order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("state", "顧客区分"), ("purpose", "目的"), ("owner_role", "担当ロール"), ("content_stages", "コンテンツ段階"),
    ("channels", "推奨チャネル"), ("code", "要件コード"), ("kind", "種別"), ("min_count", "最低接触回数"),
    ("window_days", "期間（日）"), ("responsible_role", "責任ロール"), ("performer_roles", "カウント対象ロール"),
    ("content_stage", "要件のコンテンツ段階"), ("channel", "要件のチャネル"),
)
CHOICES = {"state": State, "owner_role": Role, "kind": TouchKind, "responsible_role": Role,
           "performer_roles": Role, "content_stages": ContentStage, "channels": Channel,
           "content_stage": ContentStage, "channel": Channel}
LISTS = ("performer_roles", "content_stages", "channels")


class ImportInvalid(ValidationError):
    """The file has errors; `errors` lists each as text naming the line (or item), column and field."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__(errors)


def standards_export() -> list[dict]:
    """The whole standard, in lifecycle order, as JSON carries it."""
    return [{"state": s.state, **standard_snapshot(s)} for s in standards_in_state_order()]


def export_json() -> str:
    return json.dumps({"format": FORMAT, "version": 1, "standards": standards_export()}, ensure_ascii=False,
                      indent=2)


def export_csv(*, japanese: bool) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([ja if japanese else column for column, ja in COLUMNS])
    for standard in standards_export():
        head = [standard[f] for f in STANDARD_FIELDS]
        for r in standard["requirements"] or [None]:
            tail = [None] * len(REQUIREMENT_FIELDS) if r is None else [r[f] for f in REQUIREMENT_FIELDS]
            writer.writerow([format_cell(v) for v in head + tail])
    return out.getvalue()


def _value_lookup() -> dict[str, dict[str, str]]:
    """For each coded column: code, English label and Japanese label (lower case) → code."""
    lookup: dict[str, dict[str, str]] = {}
    for column, choices in CHOICES.items():
        found = {value.lower(): value for value in choices.values}
        for language in ("en", "ja"):
            with translation.override(language):
                found.update({str(label).lower(): value for value, label in choices.choices})
        lookup[column] = found
    return lookup


def _header_map(header: Sequence[str]) -> tuple[dict[str, int], list[str]]:
    names = {column: column for column, _ja in COLUMNS} | {ja: column for column, ja in COLUMNS}
    where: dict[str, int] = {}
    errors = []
    for index, cell in enumerate(header):
        name = names.get(cell.strip().lstrip("\ufeff"))
        if name is None:
            errors.append(_("line 1, column %(column)d: unknown column '%(name)s'") % {"column": index + 1, "name": cell})
        else:
            where[name] = index
    missing = [column for column, _ja in COLUMNS if column not in where]
    if missing:
        errors.append(_("line 1: missing column(s) %(columns)s") % {"columns": ", ".join(missing)})
    return where, errors


def _coded(column: str, text: str, lookup, errors: list[str], where: str):
    if column in LISTS:
        parts = [p.strip() for p in text.replace(",", SEPARATOR).replace("|", SEPARATOR).split(SEPARATOR) if p.strip()]
        return [_coded(column + "[]", p, lookup, errors, where) for p in parts]
    base = column.removesuffix("[]")
    if not text.strip():
        return ""
    code = lookup[base].get(text.strip().lower())
    if code is None:
        errors.append(_("%(where)s, %(field)s: unknown value '%(value)s'") % {"where": where, "field": base, "value": text})
        return text
    return code


def _text(cell: str) -> str:
    """A text cell as the export wrote it: the "'" that kept a formula-like text from being a formula removed."""
    cell = cell.strip()
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_PREFIXES) else cell


def parse_csv(text: str) -> list[dict]:
    """The file's standards (as `standards_export` gives them), or ImportInvalid naming line, column and field."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows:
        raise ImportInvalid([_("The file is empty.")])
    where, errors = _header_map(rows[0])
    if errors:
        raise ImportInvalid(errors)
    lookup = _value_lookup()
    standards: dict[str, dict] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {column: (row[i] if i < len(row) else "") for column, i in where.items()}
        place = _("line %(line)d") % {"line": line}
        values = {}
        for c, cell in cells.items():
            at = _("%(where)s, column %(column)d") % {"where": place, "column": where[c] + 1}
            values[c] = _coded(c, cell, lookup, errors, at) if c in CHOICES else _text(cell)
        standard = standards.setdefault(values["state"], {
            **{f: values[f] for f in STANDARD_FIELDS}, "requirements": [], "lines": []})
        if any(standard[f] != values[f] for f in STANDARD_FIELDS):
            errors.append(_("%(where)s: %(state)s's purpose, owner role and content plan differ from its first "
                            "line (line %(first)d)") % {"where": place, "state": values["state"],
                                                        "first": standard["lines"][0] if standard["lines"] else line})
        standard["lines"].append(line)
        if values["code"]:
            standard["requirements"].append({f: values[f] for f in REQUIREMENT_FIELDS} | {"line": line})
    if errors:
        raise ImportInvalid(errors)
    return list(standards.values())


def parse_json(text: str) -> list[dict]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ImportInvalid([_("The file is not JSON: %(error)s") % {"error": exc}]) from exc
    items = data.get("standards") if isinstance(data, dict) else data
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ImportInvalid(['expected {"standards": [ {"state": …, "requirements": [ … ]}, … ]}'])
    return items


def _validate(items: Sequence[Mapping], *, csv_lines: bool) -> list[tuple[Standard, dict]]:
    existing = {s.state: s for s in Standard.objects.all()}
    errors, clean, seen = [], [], set()
    for index, item in enumerate(items):
        place = _("line %(line)d") % {"line": item["lines"][0]} if csv_lines else f"standards[{index}]"
        state = item.get("state")
        standard = existing.get(state)
        if standard is None:
            errors.append(_("%(where)s, state: no standard for '%(state)s'") % {"where": place, "state": state})
            continue
        if state in seen:
            errors.append(_("%(where)s, state: '%(state)s' is given twice") % {"where": place, "state": state})
        seen.add(state)
        try:
            requirements = validate_requirements(item.get("requirements") or [])
            plan = validate_plan(content_stages=item.get("content_stages") or [], channels=item.get("channels") or [])
        except ValidationError as exc:
            errors += _placed(exc, item, place, csv_lines)
            continue
        owner_role, purpose = item.get("owner_role") or "", str(item.get("purpose") or "")
        if owner_role and owner_role not in Role.values:
            errors.append(_("%(where)s, owner_role: unknown role '%(role)s'") % {"where": place, "role": owner_role})
        if len(purpose) > Standard._meta.get_field("purpose").max_length:
            errors.append(_("%(where)s, purpose: longer than %(n)d characters") % {
                "where": place, "n": Standard._meta.get_field("purpose").max_length})
        clean.append((standard, {"requirements": requirements, "purpose": purpose, "owner_role": owner_role, **plan}))
    if errors:
        raise ImportInvalid(errors)
    return clean


def _placed(exc: ValidationError, item: Mapping, place: str, csv_lines: bool) -> list[str]:
    """The service's messages ("requirements[1].kind: …") placed on the file's line or item."""
    found = []
    for field, messages in exc.message_dict.items():
        for message in messages:
            if csv_lines and message.startswith("requirements["):
                index = int(message[len("requirements["):message.index("]")])
                line = item["requirements"][index]["line"]
                found.append(_("line %(line)d, column %(message)s") % {"line": line, "message": message.split(".", 1)[1]})
            elif csv_lines:
                found.append(f"{place}, {field}: {message}")
            else:
                found.append(f"{place}.{message}" if message.startswith("requirements[") else f"{place}.{field}: {message}")
    return found


def standards_import(*, items: Sequence[Mapping], actor: User | None, comment: str = "",
                     csv_lines: bool = False) -> int:
    """Replace each state in ``items`` as a whole, all or nothing; returns how many standards changed (a state
    that is already as the file says gets no new version)."""
    clean = _validate(items, csv_lines=csv_lines)
    changed = 0
    with transaction.atomic():
        for standard, values in clean:
            updated = standard_update(standard=standard, actor=actor, comment=comment, **values)
            changed += updated.version != standard.version
    return changed
