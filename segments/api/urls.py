from rest_framework.routers import SimpleRouter

from .views import SegmentViewSet, ThresholdPreviewViewSet

router = SimpleRouter()
# Before segments/<code>/ (codes are upper case, so "preview" could not be one anyway).
router.register("segments/preview", ThresholdPreviewViewSet, basename="api-threshold-preview")
router.register("segments", SegmentViewSet, basename="api-segment")

urlpatterns = router.urls
