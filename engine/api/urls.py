from rest_framework.routers import SimpleRouter

from .views import AlertViewSet, CoverageRowViewSet

router = SimpleRouter()
router.register("coverage", CoverageRowViewSet, basename="api-coverage")
router.register("alerts", AlertViewSet, basename="api-alert")

urlpatterns = router.urls
