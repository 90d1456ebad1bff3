"""The API's JSON parser: any body Python's json module cannot take answers 400, never 500 — including nesting so
deep that the decoder runs out of stack (RecursionError, which DRF's parser lets through) — and so does text with a
NUL character anywhere (no field takes one, and PostgreSQL refuses it in text and JSON columns)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(_("JSON parse error: the body is nested too deeply.")) from exc
        if contains_nul(data):
            raise ParseError(_("JSON parse error: text may not contain the NUL character (\\u0000)."))
        return data


def contains_nul(data: object) -> bool:
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            pending += item
    return False
