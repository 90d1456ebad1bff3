"""The Japanese catalogue is complete: every message of the UI has a reviewed translation (none missing, none
fuzzy), and the compiled catalogue the server loads says the same as the source file."""

import gettext
import re
from pathlib import Path

from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale" / "ja" / "LC_MESSAGES"
ENTRY = re.compile(r'^(#, .*\n)?(?:#\|.*\n)*(msgctxt "(?:[^"\\]|\\.)*"\n)?msgid ("(?:[^"\\]|\\.)*"\n(?:"(?:[^"\\]|\\.)*"\n)*)'
                   r'(?:msgid_plural .*\n(?:".*"\n)*)?((?:msgstr(?:\[\d\])? (?:"(?:[^"\\]|\\.)*"\n)(?:"(?:[^"\\]|\\.)*"\n)*)+)',
                   re.MULTILINE)


def _text(quoted_lines: str) -> str:
    return "".join(eval(line) for line in quoted_lines.strip().splitlines())  # PO strings are C-escaped literals


def _entries() -> list[tuple[str, str, bool]]:
    source = (LOCALE / "django.po").read_text(encoding="utf-8") + "\n"
    entries = []
    for flags, _ctxt, msgid, msgstrs in ENTRY.findall(source):
        translations = [_text(block.split(" ", 1)[1]) for block in re.split(r"\n(?=msgstr)", msgstrs.strip())]
        entries.append((_text(msgid), translations[0], "fuzzy" in flags))
    return [e for e in entries if e[0]]  # the header has an empty msgid


def test_every_message_is_translated_and_none_is_fuzzy():
    entries = _entries()
    assert len(entries) > 500
    assert [msgid for msgid, msgstr, _ in entries if not msgstr] == []
    assert [msgid for msgid, _, fuzzy in entries if fuzzy] == []


def test_the_compiled_catalogue_matches_the_source():
    with open(LOCALE / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [msgid for msgid, msgstr, _ in _entries() if "%(" not in msgid and compiled.gettext(msgid) != msgstr]
    assert stale == []
