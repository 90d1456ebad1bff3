from django.urls import path
from rest_framework.routers import SimpleRouter

from .imports import ImportRunViewSet
from .views import MeView

router = SimpleRouter()
router.register("imports", ImportRunViewSet, basename="api-import")

urlpatterns = [path("me/", MeView.as_view(), name="api-me"), *router.urls]
