from rest_framework.routers import SimpleRouter

from .views import StandardViewSet

router = SimpleRouter()
router.register("standards", StandardViewSet, basename="api-standard")

urlpatterns = router.urls
