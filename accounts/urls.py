from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.AccountListView.as_view(), name="list"),
    path("export.csv", views.AccountExportView.as_view(), name="export"),
    path("<int:pk>/", views.AccountDetailView.as_view(), name="detail"),
]
