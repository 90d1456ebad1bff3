from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import MeView

router = SimpleRouter()

urlpatterns = [path("me/", MeView.as_view(), name="api-me"), *router.urls]
