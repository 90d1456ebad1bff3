from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core import auth_views as core_auth_views
from core import views as core_views
from engine import views as engine_views

api_patterns = [
    path("", include("core.api.urls")),
    path("", include("accounts.api.urls")),
    path("", include("contacts.api.urls")),
    path("", include("segments.api.urls")),
    path("", include("standards.api.urls")),
    path("", include("engine.api.urls")),
    path("", include("handoffs.api.urls")),
    path("", include("profiles.api.urls")),
    path("", include("dashboards.api.urls")),
]

# A path under /api/ that matches nothing answers 404 in JSON, as the API's other errors do.
handler404 = "core.api.views.page_not_found"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("today/", engine_views.TodayView.as_view(), name="today"),
    path("login/", auth_views.LoginView.as_view(template_name="registration/login.html", redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", core_auth_views.ThrottledPasswordResetView.as_view(), name="password_reset"),
    path("password-reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("core.urls")),
    path("accounts/", include("accounts.urls")),
    path("touches/", include("contacts.urls")),
    path("states/", include("segments.urls")),
    path("standards/", include("standards.urls")),
    path("engine/", include("engine.urls")),
    path("handoffs/", include("handoffs.urls")),
    path("profiles/", include("profiles.urls")),
    path("dashboards/", include("dashboards.urls")),
    path("api/v1/auth/token/", core_auth_views.TokenView.as_view(), name="api-token"),
    path("api/v1/", include(api_patterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]
