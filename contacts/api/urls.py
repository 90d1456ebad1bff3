from rest_framework.routers import SimpleRouter

from .views import TouchViewSet

router = SimpleRouter()
router.register("touches", TouchViewSet, basename="api-touch")

urlpatterns = router.urls
