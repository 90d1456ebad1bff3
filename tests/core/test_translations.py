"""The Japanese catalogue is complete: every message of the UI has a reviewed translation (none missing, none
fuzzy), and the compiled catalogue the server loads says the same as the source file."""

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from tests.conftest import skip_or_fail

LOCALE = Path(settings.BASE_DIR) / "locale" / "ja" / "LC_MESSAGES"
ENTRY = re.compile(r'^(#, .*\n)?(?:#\|.*\n)*(msgctxt "(?:[^"\\]|\\.)*"\n)?msgid ("(?:[^"\\]|\\.)*"\n(?:"(?:[^"\\]|\\.)*"\n)*)'
                   r'(?:msgid_plural .*\n(?:".*"\n)*)?((?:msgstr(?:\[\d\])? (?:"(?:[^"\\]|\\.)*"\n)(?:"(?:[^"\\]|\\.)*"\n)*)+)',
                   re.MULTILINE)


def _text(quoted_lines: str) -> str:
    return "".join(eval(line) for line in quoted_lines.strip().splitlines())  # PO strings are C-escaped literals


def _entries(catalogue: Path = LOCALE / "django.po") -> list[tuple[str, str, bool]]:
    source = catalogue.read_text(encoding="utf-8") + "\n"
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


SOURCE_SKIPPED = shutil.ignore_patterns(".venv", ".git", "staticfiles", "bench-data", "media", "db.sqlite3", "tests",
                                        "__pycache__", "*.mo", "node_modules")


def test_every_message_of_the_source_is_in_the_catalogue(tmp_path):
    """makemessages over a copy of the sources finds no message the catalogue lacks: a string added to the code
    and never collected would show in English on a Japanese page."""
    if shutil.which("xgettext") is None:
        skip_or_fail("GNU gettext is not installed (apt-get install gettext)")
    root = Path(settings.BASE_DIR)
    copy = tmp_path / "source"
    shutil.copytree(root, copy, ignore=SOURCE_SKIPPED)
    env = {**os.environ, "DJANGO_DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    subprocess.run([sys.executable, "manage.py", "makemessages", "-l", "ja", "--no-obsolete"], cwd=copy, env=env,
                   check=True, capture_output=True, timeout=300)
    collected = {msgid for msgid, _, _ in _entries(copy / "locale" / "ja" / "LC_MESSAGES" / "django.po")}
    catalogued = {msgid for msgid, msgstr, fuzzy in _entries() if msgstr and not fuzzy}
    assert sorted(collected - catalogued) == []
