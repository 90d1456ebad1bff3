from django.urls import path

from . import views

app_name = "contacts"

urlpatterns = [
    path("log/<int:account_id>/", views.touch_log_view, name="log"),
]
