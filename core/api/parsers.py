"""The API's JSON parser: any body Python's json module cannot take answers 400, never 500 — including nesting so
deep that the decoder runs out of stack (RecursionError, which DRF's parser lets through)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(_("JSON parse error: the body is nested too deeply.")) from exc
