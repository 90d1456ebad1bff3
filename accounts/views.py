"""Accounts list (filters, keyset pages, CSV export) and the account page. Thin: reads only."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.views import View

from contacts.forms import TouchLogForm
from standards.selectors import touch_plan_initial
from contacts.models import Touch
from core.csvio import stream_csv
from core.paging import Keys, page_of
from core.permissions import RoleRequiredMixin
from engine.models import Alert, CoverageRow
from handoffs.receiving import account_handoffs
from segments.models import StateTransition
from segments.reasons import transition_reason as reason_sentence

from .filtersets import AccountFilterSet
from .models import OWNER_FIELDS, Account, Lead, Opportunity
from .selectors import ACCOUNT_EXPORT_HEADER, account_export_rows

LIST_KEYS: Keys = (("name", False), ("id", False))
PAGE_SIZE = 50
TIMELINE_LIMIT = 100
RELATED_LIMIT = 50


def filtered_accounts(request: HttpRequest) -> AccountFilterSet:
    """The accounts list's FilterSet (shared with the API and the export) bound to the query string."""
    base = Account.objects.select_related(*OWNER_FIELDS).annotate(
        has_open_alert=Exists(Alert.objects.filter(account_id=OuterRef("pk"), status=Alert.Status.OPEN))
    )
    return AccountFilterSet(request.GET or None, queryset=base, request=request)


class AccountListView(RoleRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        filterset = filtered_accounts(request)
        qs: QuerySet[Account] = filterset.qs.order_by("name", "id")
        page = page_of(qs, keys=LIST_KEYS, cursor=request.GET.get("after"), size=PAGE_SIZE)
        query = request.GET.copy()
        query.pop("after", None)
        context = {
            "filter": filterset, "accounts": page.items, "next_cursor": page.next_cursor,
            "query": query.urlencode(), "first_page": not request.GET.get("after"),
        }
        template = "accounts/partials/account_table.html" if request.htmx and not request.htmx.boosted else "accounts/list.html"
        return render(request, template, context)


class AccountExportView(RoleRequiredMixin, View):
    """The filtered list as CSV, streamed in chunks so a large export never sits in memory."""

    def get(self, request: HttpRequest) -> StreamingHttpResponse:
        filterset = filtered_accounts(request)

        def stream() -> Iterator[str]:
            yield "\ufeff"  # BOM: Excel opens UTF-8 with Japanese text correctly
            # The export_accounts columns: the file imports back unchanged.
            yield from stream_csv(ACCOUNT_EXPORT_HEADER, account_export_rows(filterset.qs))

        response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="accounts.csv"'
        return response


class AccountDetailView(RoleRequiredMixin, View):
    """Firmographics, owners with the lead role and supporting owner, the pending handoff and the handoff history,
    state history, coverage, timeline, leads, deals, open alerts: a fixed number of queries."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        account = get_object_or_404(
            Account.objects.select_related(*OWNER_FIELDS, "supporting_owner", "icp_profile").prefetch_related(
                Prefetch("coverage_rows", queryset=CoverageRow.objects.select_related("assignee").order_by("requirement")),
                Prefetch("alerts", queryset=Alert.objects.filter(status=Alert.Status.OPEN).select_related("assignee"), to_attr="open_alerts"),
            ),
            pk=pk,
        )
        transitions = list(StateTransition.objects.filter(account=account).order_by("-as_of", "-id")[:50])
        touches = list(Touch.objects.filter(account=account).select_related("performer").order_by("-occurred_at", "-id")[: TIMELINE_LIMIT + 1])
        # Capped: an account with years of history still reads one page.
        leads = list(Lead.objects.filter(account=account).order_by("-created_on", "-id")[:RELATED_LIMIT])
        deals = list(Opportunity.objects.filter(account=account).select_related("owner").order_by("-opened_on", "-id")[:RELATED_LIMIT])
        owners = [(Account._meta.get_field(f).verbose_name, getattr(account, f)) for f in OWNER_FIELDS]
        # The pending handoff (decided here by who may) and the handoff history: docs/rules.md §8.
        handoffs = account_handoffs(user=request.user, account_id=account.pk)
        return render(request, "accounts/detail.html", {
            "account": account,
            "owners": owners,
            "transitions": [(t, transition_reason(t)) for t in transitions],
            "touches": touches[:TIMELINE_LIMIT],
            "leads": leads,
            "deals": deals,
            "more_touches": len(touches) > TIMELINE_LIMIT,
            # Preselected from the standard's content plan: an open alert's requirement first (docs/rules.md §4).
            "touch_form": TouchLogForm(initial=touch_plan_initial(
                state=account.state, requirement_codes=[a.requirement for a in account.open_alerts])),
            "handoffs": handoffs,
            "next": request.get_full_path(),
        })


def transition_reason(t: StateTransition) -> str:
    """The rule that fired and the facts it used, as a sentence (segments.reasons; docs/rules.md §3). Without the
    thresholds: today's may not be the ones of that night."""
    return reason_sentence(t.rule, t.facts)
