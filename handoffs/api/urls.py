from rest_framework.routers import SimpleRouter

from .views import HandoffAlertViewSet, HandoffRuleViewSet, HandoffViewSet

router = SimpleRouter()
router.register("handoff-rules", HandoffRuleViewSet, basename="api-handoff-rule")
router.register("handoffs", HandoffViewSet, basename="api-handoff")
router.register("handoff-alerts", HandoffAlertViewSet, basename="api-handoff-alert")

urlpatterns = router.urls
