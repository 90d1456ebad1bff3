from rest_framework.routers import SimpleRouter

from .views import IcpProfileViewSet

router = SimpleRouter()
router.register("icp-profiles", IcpProfileViewSet, basename="api-icp-profile")

urlpatterns = router.urls
