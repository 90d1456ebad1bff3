"""One CSV cell to one Python value (docs/api.md §2): numbers, yes/no words, dates, timestamps, lists, emails.

Nothing here knows about columns or models: `rows.py` picks the parser of a column and adds its model field's
validators.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zoneinfo
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from core.validators import CorporateNumberError, check_corporate_number
from core.yesno import yes_no

EXCEL_DATE = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$")
EXCEL_DATETIME = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")
WHOLE_NUMBER = re.compile(r"[+-]?\d+")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class CellError(ValueError):
    """A cell that cannot be read as its column's value; the message names the cell as written."""


def normalise(value: str) -> str:
    # ASCII is NFKC-stable: skip the normaliser for the common case.
    return value.strip() if value.isascii() else unicodedata.normalize("NFKC", value).strip()


def unescape_text(value: str) -> str:
    """Drop the export's formula escape: a leading ' before = + - @ (and tab / CR)."""
    if len(value) >= 2 and value[0] == "'" and value[1] in "=+-@\t\r":
        return value[1:]
    return value


def parse_text(value: str) -> str:
    return unescape_text(value.strip())


def parse_int(value: str) -> int:
    text = normalise(value).replace(",", "")
    if not WHOLE_NUMBER.fullmatch(text):
        raise CellError(f"'{value}' is not a whole number")
    return int(text)


def parse_decimal(value: str) -> Decimal:
    text = normalise(value).replace(",", "").rstrip("%")
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise CellError(f"'{value}' is not a number") from exc
    if not number.is_finite():
        raise CellError(f"'{value}' is not a number")
    return number


def parse_bool(value: str) -> bool:
    """The words of core.yesno, after NFKC (full-width letters and digits work)."""
    answer = yes_no(normalise(value))
    if answer is None:
        raise CellError(f"'{value}' is not a yes/no value (true/false, 1/0, yes/no, はい/いいえ)")
    return answer


def parse_date(value: str) -> dt.date:
    text = normalise(value)
    m = EXCEL_DATE.match(text)
    try:
        if m:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if ISO_DATE.fullmatch(text):
            return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CellError(f"'{value}' is not a valid date") from exc
    raise CellError(f"'{value}' is not a date (use 2026-04-01 or 2026/4/1)")


def parse_datetime(value: str, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """ISO 8601 with or without offset, or Excel's 2026/4/1 9:05; without an offset: business-zone local time."""
    text = normalise(value)
    m = EXCEL_DATETIME.match(text)
    if not m and not ISO_DATE.match(text):
        raise CellError(f"'{value}' is not a timestamp (use 2026-04-01T09:05:00+09:00 or 2026/4/1 9:05)")
    try:
        if m:
            result = dt.datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), int(m[6] or 0))
        else:
            result = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise CellError(f"'{value}' is not a valid timestamp") from exc
    return result if result.tzinfo else result.replace(tzinfo=zone)


def parse_list(value: str) -> list[str]:
    return [unescape_text(part.strip()) for part in value.split(";") if part.strip()]


def parse_email(value: str) -> str:
    text = value.strip()
    try:
        validate_email(text)
    except ValidationError as exc:
        raise CellError(f"'{value}' is not an email address") from exc
    return text


def parse_corporate_number(value: str) -> str:
    """法人番号: the rule of core.validators (the model field's validator), on the NFKC form of the cell."""
    try:
        return check_corporate_number(normalise(value))
    except CorporateNumberError as exc:
        if exc.expected_check_digit is None:
            raise CellError(f"'{value}' is not a corporate number (13 digits)") from exc
        raise CellError(f"'{value}' has a wrong check digit (expected {exc.expected_check_digit})") from exc
