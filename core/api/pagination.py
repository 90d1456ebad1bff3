from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination


class DefaultCursorPagination(CursorPagination):
    """Keyset pagination: constant cost at any depth (no COUNT, no OFFSET)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-id"

    def get_page_size(self, request) -> int:
        """The asked page size, 1 to max_page_size; anything else answers 400 naming the parameter (DRF would
        quietly use the default)."""
        asked = request.query_params.get(self.page_size_query_param)
        if asked is None:
            return self.page_size
        if not asked.isdigit() or not 1 <= int(asked) <= self.max_page_size:
            raise ValidationError({self.page_size_query_param: [
                _("Give a whole number from 1 to %(max)d.") % {"max": self.max_page_size}]})
        return int(asked)

    def paginate_queryset(self, queryset, request, view=None):
        """A cursor that is not one of ours answers 400 naming the parameter (DRF answers 404, or 500 when it
        decodes to a position of the wrong type)."""
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, DjangoValidationError) as exc:
            raise self.invalid_cursor() from exc

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except Exception as exc:  # DRF's NotFound for a cursor it cannot decode
            raise self.invalid_cursor() from exc

    def invalid_cursor(self) -> ValidationError:
        return ValidationError({self.cursor_query_param: [
            _("Not a cursor of this list: follow the `next` or `previous` link of an answer.")]})

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return parameters
