"""CSV column specs for accounts, leads and opportunities (interfaces.md §2)."""

from accounts.models import Account, Lead, Opportunity
from core.importing import (
    ACCOUNT, BOOL, CHOICE, CORPORATE_NUMBER, DATE, DECIMAL, EMAIL, INT, LIST, TEXT, USER, Column, KindSpec,
)

ACCOUNT_COLUMNS = (
    Column("external_id", TEXT, required=True, label_ja="外部ID", max_length=100),
    Column("name", TEXT, required=True, label_ja="会社名", max_length=300),
    Column("corporate_number", CORPORATE_NUMBER, label_ja="法人番号"),
    Column("domain", TEXT, label_ja="ドメイン", max_length=255),
    Column("industry", TEXT, label_ja="業種", max_length=100),
    Column("listed", BOOL, label_ja="上場"),
    Column("employees", INT, label_ja="従業員数", min_value=0, max_value=2_147_483_647),
    Column("annual_revenue", INT, label_ja="売上高", min_value=0, max_value=9_223_372_036_854_775_807),
    Column("revenue_growth_pct", DECIMAL, label_ja="売上成長率", min_value=-9_999_999, max_value=9_999_999),
    Column("promo_budget", INT, label_ja="販促予算", min_value=0, max_value=9_223_372_036_854_775_807),
    Column("avg_order_amount", INT, label_ja="平均発注額", min_value=0, max_value=9_223_372_036_854_775_807),
    Column("departments", LIST, label_ja="部署"),
    Column("regions", LIST, label_ja="地域"),
    Column("technologies", LIST, label_ja="導入サービス"),
    Column("prefecture", TEXT, label_ja="都道府県", max_length=20),
    Column("is_target", BOOL, label_ja="ターゲット", empty=True),
    Column("owner_csm", USER, label_ja="担当CSM"),
    Column("owner_sales", USER, label_ja="担当営業"),
    Column("owner_inside_sales", USER, label_ja="担当インサイドセールス"),
    Column("owner_marketing", USER, label_ja="担当マーケティング"),
    Column("owner_executive", USER, label_ja="担当役員"),
)
DERIVED_ACCOUNT_COLUMNS = ("state", "state_since", "icp_fit", "icp_profile", "icp_tier")

ACCOUNTS = KindSpec(kind="accounts", model=Account, key="external_id", columns=ACCOUNT_COLUMNS,
                    ignored=DERIVED_ACCOUNT_COLUMNS)

LEADS = KindSpec(
    kind="leads",
    model=Lead,
    key="external_id",
    columns=(
        Column("external_id", TEXT, required=True, label_ja="外部ID", max_length=100),
        Column("account_external_id", ACCOUNT, required=True, label_ja="取引先外部ID", attr="account"),
        Column("created_on", DATE, required=True, label_ja="作成日"),
        Column("closed_on", DATE, label_ja="クローズ日"),
        Column("status", CHOICE, required=True, label_ja="ステータス", choices=tuple(Lead.Status.values)),
        Column("score", INT, label_ja="スコア", min_value=0, max_value=100),
        Column("source", TEXT, label_ja="リードソース", max_length=100),
        Column("contact_name", TEXT, label_ja="担当者名", max_length=200),
        Column("contact_email", EMAIL, label_ja="担当者メール"),
    ),
)


def _check_opportunity(values: dict, present: set, context) -> list[tuple[str, str]]:
    errors = []
    closed, opened = values.get("closed_on"), values.get("opened_on")
    if closed and opened and closed < opened:
        errors.append(("closed_on", f"closed_on {closed} is before opened_on {opened}"))
    return errors


def _check_opportunity_block(columns: dict[str, list]) -> bool:
    """True when no row of a block closes before it opens (staged dates are ISO text: they sort as dates)."""
    closed, opened = columns.get("closed_on"), columns.get("opened_on")
    if closed is None or opened is None:
        return True
    return not any(c is not None and o is not None and c < o for c, o in zip(closed, opened))


OPPORTUNITIES = KindSpec(
    kind="opportunities",
    model=Opportunity,
    key="external_id",
    columns=(
        Column("external_id", TEXT, required=True, label_ja="外部ID", max_length=100),
        Column("account_external_id", ACCOUNT, required=True, label_ja="取引先外部ID", attr="account"),
        Column("name", TEXT, label_ja="商談名", max_length=300),
        Column("opened_on", DATE, required=True, label_ja="開始日"),
        Column("closed_on", DATE, label_ja="クローズ日"),
        Column("status", CHOICE, required=True, label_ja="ステータス", choices=tuple(Opportunity.Status.values)),
        Column("amount", INT, label_ja="金額", min_value=0, max_value=9_223_372_036_854_775_807),
        Column("contract_end", DATE, label_ja="契約終了日"),
        Column("owner", USER, label_ja="担当者"),
    ),
    check=_check_opportunity,
    check_block=_check_opportunity_block,
)
