from django.urls import path

from . import views

app_name = "standards"

urlpatterns = [path("", views.StandardsEditorView.as_view(), name="editor")]
