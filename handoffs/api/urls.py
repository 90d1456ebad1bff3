from rest_framework.routers import SimpleRouter

from .views import HandoffRuleViewSet, HandoffViewSet

router = SimpleRouter()
router.register("handoff-rules", HandoffRuleViewSet, basename="api-handoff-rule")
router.register("handoffs", HandoffViewSet, basename="api-handoff")

urlpatterns = router.urls
