from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from contactcenter import views
from contactcenter.desk import pages

urlpatterns = [
    # The API first: its requests, the most frequent, are resolved without trying the pages'.
    path("api/v1/", include("contactcenter.api_urls")),
    path("", pages.home, name="home"),
    path("", include("contactcenter.desk.urls")),
    path("portal/", include("contactcenter.portal.urls")),
    path("healthz", views.healthz, name="healthz"),
    # The web chat widget's script (embedded by the company's site) and its demo page.
    path("chat/", include("contactcenter.chat.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script from a URL: no inline script (CSP).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="core/swagger_ui.html"),
        name="api-docs",
    ),
]

handler404 = "contactcenter.views.not_found"
handler500 = "contactcenter.views.server_error"

# The media folder (call recordings, lesson attachments) is never served as it is, not even with
# DEBUG: each file is read through a view that checks who asks.
