from django.urls import path

from . import history_views, transfer_views, views

app_name = "standards"

urlpatterns = [
    path("", views.StandardsTableView.as_view(), name="editor"),
    path("<str:state>/plan/", views.PlanView.as_view(), name="plan"),
    path("<str:state>/requirements/add/", views.RequirementCellView.as_view(), name="requirement-add"),
    path("<str:state>/row/", views.RowView.as_view(), name="row"),
    path("<str:state>/requirements/<slug:code>/edit/", views.RequirementCellView.as_view(), name="requirement"),
    path("<str:state>/requirements/<slug:code>/remove/", views.RequirementRemoveView.as_view(),
         name="requirement-remove"),
    path("history/", history_views.HistoryView.as_view(), name="history"),
    path("history/<int:pk>/restore/", history_views.RestoreView.as_view(), name="restore"),
    path("export.<str:fmt>", transfer_views.ExportView.as_view(), name="export"),
    path("import/", transfer_views.ImportView.as_view(), name="import"),
]
