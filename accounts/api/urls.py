from rest_framework.routers import SimpleRouter

from .views import AccountViewSet, LeadViewSet, OpportunityViewSet

router = SimpleRouter()
router.register("accounts", AccountViewSet, basename="api-account")
router.register("leads", LeadViewSet, basename="api-lead")
router.register("opportunities", OpportunityViewSet, basename="api-opportunity")

urlpatterns = router.urls
