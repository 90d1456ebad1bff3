"""CSV column specs for accounts, leads and opportunities (docs/api.md §2); types, lengths, choices and
validators come from the model fields."""

from accounts.models import Account, Lead, Opportunity
from core.importing import Column, KindSpec

ACCOUNT_COLUMNS = (
    Column("external_id", required=True, label_ja="外部ID"),
    Column("name", required=True, label_ja="会社名"),
    Column("corporate_number", label_ja="法人番号"),
    Column("domain", label_ja="ドメイン"),
    Column("industry", label_ja="業種"),
    Column("listed", label_ja="上場"),
    Column("employees", label_ja="従業員数"),
    Column("annual_revenue", label_ja="売上高"),
    Column("revenue_growth_pct", label_ja="売上成長率"),
    Column("promo_budget", label_ja="販促予算"),
    Column("avg_order_amount", label_ja="平均発注額"),
    Column("departments", label_ja="部署"),
    Column("regions", label_ja="地域"),
    Column("technologies", label_ja="導入サービス"),
    Column("prefecture", label_ja="都道府県"),
    Column("is_target", label_ja="ターゲット"),
    Column("owner_csm", label_ja="担当CSM"),
    Column("owner_sales", label_ja="担当営業"),
    Column("owner_inside_sales", label_ja="担当インサイドセールス"),
    Column("owner_marketing", label_ja="担当マーケティング"),
    Column("owner_executive", label_ja="担当役員"),
)
DERIVED_ACCOUNT_COLUMNS = ("state", "state_since", "icp_fit", "icp_profile", "icp_tier")

ACCOUNTS = KindSpec(kind="accounts", model=Account, key="external_id", columns=ACCOUNT_COLUMNS,
                    ignored=DERIVED_ACCOUNT_COLUMNS)

LEADS = KindSpec(
    kind="leads",
    model=Lead,
    key="external_id",
    columns=(
        Column("external_id", required=True, label_ja="外部ID"),
        Column("account_external_id", required=True, label_ja="取引先外部ID", attr="account"),
        Column("created_on", required=True, label_ja="作成日"),
        Column("closed_on", label_ja="クローズ日"),
        Column("status", required=True, label_ja="ステータス"),
        Column("score", label_ja="スコア"),
        Column("source", label_ja="リードソース"),
        Column("contact_name", label_ja="担当者名"),
        Column("contact_email", label_ja="担当者メール"),
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
        Column("external_id", required=True, label_ja="外部ID"),
        Column("account_external_id", required=True, label_ja="取引先外部ID", attr="account"),
        Column("name", label_ja="商談名"),
        Column("opened_on", required=True, label_ja="開始日"),
        Column("closed_on", label_ja="クローズ日"),
        Column("status", required=True, label_ja="ステータス"),
        Column("amount", label_ja="金額"),
        Column("contract_end", label_ja="契約終了日"),
        Column("owner", label_ja="担当者"),
    ),
    check=_check_opportunity,
    check_block=_check_opportunity_block,
)
