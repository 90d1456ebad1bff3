"""Default handoff rules, in order (docs/rules.md §8)."""

# name, to_state, from_states, from_role, to_role, model, sla_business_hours
DEFAULT_HANDOFF_RULES: tuple[tuple[str, str, tuple[str, ...], str, str, str, int], ...] = (
    ("lead-to-inside-sales", "HOT_LEAD", (), "marketing", "inside_sales", "baton", 16),
    ("inside-sales-to-sales", "NEGOTIATION", ("HOT_LEAD", "HIGH_POTENTIAL_LEAD", "LEAD", "TARGET_NO_LEAD"), "inside_sales", "sales", "baton", 8),
    ("sales-to-csm-onboarding", "ONBOARDING", (), "sales", "csm", "three_legged", 24),
    ("csm-to-sales-active", "ACTIVE", ("ONBOARDING",), "csm", "sales", "three_legged", 24),
    ("sales-to-csm-loyal", "LOYAL", (), "sales", "csm", "three_legged", 40),
    ("sales-to-marketing-churned", "CHURNED", (), "sales", "marketing", "baton", 40),
)
