from django.utils import timezone, translation

from .models import BusinessSettings


class UserPreferencesMiddleware:
    """Activates the signed-in user's language and the business time zone for each request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        timezone.activate(BusinessSettings.load().zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
