from django.urls import path

from . import imports_views, user_views, views

app_name = "core"

urlpatterns = [
    path("language/", views.set_language, name="set_language"),
    path("imports/", imports_views.ImportListView.as_view(), name="imports"),
    path("imports/<int:pk>/", imports_views.ImportDetailView.as_view(), name="import-detail"),
    path("imports/<int:pk>/errors.csv", imports_views.ImportErrorsView.as_view(), name="import-errors"),
    path("users/", user_views.UserListView.as_view(), name="users"),
    path("users/new/", user_views.UserCreateView.as_view(), name="user-create"),
    path("users/<int:pk>/", user_views.UserEditView.as_view(), name="user-edit"),
    path("users/<int:pk>/<slug:action>/", user_views.UserActionView.as_view(), name="user-action"),
]
