"""The CSV import engine (docs/api.md §1–2). Its modules follow the data:

- `reading`: the file's encoding, header and records, in blocks;
- `cells`: one cell to one value; `rows`: a row's cells through their column's parser and field validators;
- `specs`: the columns of each kind, bound to the model fields they fill (each app's `importers.py` declares
  its kind), and what an import reports;
- `orm`: the model-object path (SQLite, and users everywhere);
- `staged`, `columnwise`, `merge`: PostgreSQL's path — COPY into a staging table, clean blocks converted column
  by column, merged set-wise;
- `keys`: the keys a file has given, for the repeated-key rule, in flat memory;
- `run`: one import, in one transaction.
"""

from core.validators import corporate_number_check_digit  # the rule's one home, re-exported for callers of old

from .cells import CellError, normalise, parse_datetime, unescape_text
from .reading import ALLOWED_ENCODINGS, EncodingRefused, allowed_encoding, detect_encoding, sniff
from .run import run_import
from .specs import (
    ACCOUNT, BOOL, CHOICE, CORPORATE_NUMBER, DATE, DATETIME, DECIMAL, EMAIL, INT, LIST, TEXT, USER, Column,
    ImportAborted, ImportContext, ImportResult, KindSpec, RowError, disagreements, mapping_for,
)

__all__ = [
    "ALLOWED_ENCODINGS", "ACCOUNT", "BOOL", "CHOICE", "CORPORATE_NUMBER", "DATE", "DATETIME", "DECIMAL", "EMAIL", "INT", "LIST", "TEXT",
    "USER", "CellError", "Column", "EncodingRefused", "ImportAborted", "ImportContext", "ImportResult", "KindSpec", "RowError",
    "allowed_encoding", "corporate_number_check_digit", "detect_encoding", "disagreements", "mapping_for", "normalise",
    "parse_datetime", "run_import", "sniff", "unescape_text",
]
