from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("language/", views.set_language, name="set_language"),
]
