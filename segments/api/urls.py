from rest_framework.routers import SimpleRouter

from .views import SegmentViewSet

router = SimpleRouter()
router.register("segments", SegmentViewSet, basename="api-segment")

urlpatterns = router.urls
