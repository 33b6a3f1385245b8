"""Staff API routes of withdrawals, mounted under /api/v1/."""

from rest_framework.routers import SimpleRouter

from apps.withdrawals.api import WithdrawalViewSet

app_name = "withdrawals"

router = SimpleRouter()
router.register("withdrawals", WithdrawalViewSet, basename="withdrawal")

urlpatterns = router.urls
