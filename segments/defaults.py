"""The product's starting data for states (docs/rules.md §3)."""

# code, order, English name, Japanese name, purpose (en), purpose (ja)
DEFAULT_SEGMENTS: tuple[tuple[str, int, str, str, str, str], ...] = (
    ("ONBOARDING", 1, "Onboarding", "初取引から6ヶ月以内の顧客", "Reliable onboarding", "確実なオンボーディング"),
    ("LOYAL", 2, "Loyal customer", "ロイヤルカスタマー", "Keep and deepen the relationship", "関係の維持・深耕"),
    ("ACTIVE", 3, "Active customer", "継続取引中顧客", "Grow the business", "取引拡大"),
    ("NEGOTIATION", 4, "In negotiation", "商談中顧客", "Win the deal", "受注"),
    ("CHURNED", 5, "Churned customer", "離反顧客", "Create a chance to resume", "取引再開のきっかけづくり"),
    ("HOT_LEAD", 6, "Hot lead", "商談可能性高保有リード", "Create an opportunity", "商談創出"),
    ("HIGH_POTENTIAL_LEAD", 7, "High-potential lead", "ポテンシャル高保有リード", "Create an opportunity", "商談創出"),
    ("LEAD", 8, "Lead", "保有リード", "Create an opportunity", "商談創出"),
    ("TARGET_NO_LEAD", 9, "Target without lead", "リード未保有ターゲット", "Acquire a lead", "リード獲得"),
    ("OUT_OF_SCOPE", 10, "Out of scope", "対象外", "No standard applies", "カバレッジ標準の対象外"),
)
