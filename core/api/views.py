from django.http import JsonResponse
from django.views import defaults
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.choices import Language


class MeSerializer(serializers.Serializer):
    username = serializers.CharField(read_only=True)
    full_name = serializers.CharField(read_only=True)
    role = serializers.CharField(read_only=True)
    team = serializers.CharField(read_only=True)
    language = serializers.ChoiceField(choices=Language.choices)


class MeView(APIView):
    """The signed-in user; PATCH changes the UI language."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)

    @extend_schema(request=MeSerializer, responses=MeSerializer)
    def patch(self, request):
        serializer = MeSerializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        request.user.language = serializer.validated_data.get("language", request.user.language)
        request.user.save(update_fields=["language"])
        return Response(MeSerializer(request.user).data)


def page_not_found(request, exception=None):
    """settings.ROOT_URLCONF's handler404: a path under /api/ that matches no endpoint (an id that is not one, a
    path the API does not have) answers 404 in JSON as every other API error does (docs/api.md §5); pages keep
    Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
    return defaults.page_not_found(request, exception)
