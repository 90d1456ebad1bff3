"""The seed's default coverage standard (docs/rules.md §4)."""

# state -> (purpose, owner role)
DEFAULT_STANDARDS: dict[str, tuple[str, str]] = {
    "LOYAL": ("Keep and deepen the relationship", "csm"),
    "ACTIVE": ("Grow the business", "sales"),
    "ONBOARDING": ("Reliable onboarding", "csm"),
    "CHURNED": ("Create a chance to resume", "marketing"),
    "NEGOTIATION": ("Win the deal", "sales"),
    "HOT_LEAD": ("Create an opportunity", "inside_sales"),
    "HIGH_POTENTIAL_LEAD": ("Create an opportunity", "inside_sales"),
    "LEAD": ("Create an opportunity", "marketing"),
    "TARGET_NO_LEAD": ("Acquire a lead", "marketing"),
}

# state, code, kind, min_count, window_days, responsible_role, performer_roles
DEFAULT_REQUIREMENTS: tuple[tuple[str, str, str, int, int, str, tuple[str, ...]], ...] = (
    ("LOYAL", "human", "human", 1, 30, "csm", ()),
    ("LOYAL", "executive", "human", 1, 365, "csm", ("executive",)),
    ("ACTIVE", "human", "human", 1, 30, "sales", ()),
    ("ONBOARDING", "human", "human", 1, 7, "csm", ()),
    ("CHURNED", "digital", "digital", 1, 30, "marketing", ()),
    ("NEGOTIATION", "human", "human", 1, 7, "sales", ()),
    ("HOT_LEAD", "human", "human", 1, 7, "inside_sales", ()),
    ("HIGH_POTENTIAL_LEAD", "human", "human", 1, 30, "inside_sales", ()),
    ("HIGH_POTENTIAL_LEAD", "digital", "digital", 2, 30, "marketing", ()),
    ("LEAD", "digital", "digital", 2, 30, "marketing", ()),
)
