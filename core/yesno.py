"""The one table of yes/no words, read by the CSV importer, the ICP criteria and ICP scoring (Python and SQL).

docs/rules.md (imports): booleans accept true/false, 1/0, yes/no, はい/いいえ; the single letters y/n and t/f
are accepted too, as the importer always did.
"""

from __future__ import annotations

YES_WORDS: tuple[str, ...] = ("true", "1", "yes", "y", "t", "はい")
NO_WORDS: tuple[str, ...] = ("false", "0", "no", "n", "f", "いいえ")


def yes_no(text: str) -> bool | None:
    """True or False for a yes/no word (trimmed, case-insensitive), None for anything else."""
    word = text.strip().casefold()
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    return None
