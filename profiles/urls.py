"""ICP pages: the profile editor (list, edit, versions, activation, JSON) and the analysis pages
(review, explanation, learning from the best customers, validation, breadth)."""

from .analysis_urls import urlpatterns as analysis_urlpatterns
from .editor_urls import urlpatterns as editor_urlpatterns

app_name = "profiles"

urlpatterns = editor_urlpatterns + analysis_urlpatterns
