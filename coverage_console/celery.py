import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coverage_console.settings")

app = Celery("coverage_console")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
