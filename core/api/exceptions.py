from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """Django validation errors raised by services answer 400 with their messages, never 500."""
    if isinstance(exc, DjangoValidationError):
        # Field → messages; a message about no one field is `detail`, one string (docs/api.md §5).
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": " ".join(exc.messages)}
        exc = exceptions.ValidationError(detail=detail)
    return drf_exception_handler(exc, context)
