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

# The content plan of each state (docs/rules.md §4): state -> (content stages it should receive, recommended
# channels), from the seed's communication content (Education → Solution → Selection → Negotiation → Relation).
DEFAULT_CONTENT_PLANS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "ONBOARDING": (("solution", "relation"), ("visit", "online_meeting", "phone")),
    "LOYAL": (("relation", "solution"), ("visit", "online_meeting", "seminar")),
    "ACTIVE": (("solution", "selection", "relation"), ("visit", "online_meeting", "phone")),
    "NEGOTIATION": (("selection", "negotiation"), ("visit", "online_meeting")),
    "CHURNED": (("education", "solution"), ("email", "newsletter", "webinar")),
    "HOT_LEAD": (("solution", "selection"), ("phone", "online_meeting", "visit")),
    "HIGH_POTENTIAL_LEAD": (("education", "solution"), ("phone", "email", "webinar")),
    "LEAD": (("education",), ("email", "newsletter", "webinar")),
    "TARGET_NO_LEAD": (("education",), ("ad", "seminar", "web_visit")),
}

# Each default requirement's content plan: (state, code) -> (content stage, channel) a touch for it should carry.
DEFAULT_REQUIREMENT_PLANS: dict[tuple[str, str], tuple[str, str]] = {
    ("LOYAL", "human"): ("relation", "visit"),
    ("LOYAL", "executive"): ("relation", "visit"),
    ("ACTIVE", "human"): ("solution", "visit"),
    ("ONBOARDING", "human"): ("solution", "online_meeting"),
    ("CHURNED", "digital"): ("education", "email"),
    ("NEGOTIATION", "human"): ("negotiation", "visit"),
    ("HOT_LEAD", "human"): ("solution", "phone"),
    ("HIGH_POTENTIAL_LEAD", "human"): ("education", "phone"),
    ("HIGH_POTENTIAL_LEAD", "digital"): ("education", "email"),
    ("LEAD", "digital"): ("education", "newsletter"),
}
