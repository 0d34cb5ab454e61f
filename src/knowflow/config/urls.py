from django.contrib import admin
from django.urls import include, path

from knowflow.accounts.oidc_views import SignInView, admin_sign_in
from knowflow.api.main import api
from knowflow.mail import debug_views
from knowflow.web import views as web_views

urlpatterns = [
    path("", web_views.home, name="home"),
    path("healthz", web_views.healthz, name="healthz"),
    path("pick/<slug:kind>/", web_views.picker_options, name="picker"),
    path("style-guide/", web_views.style_guide, name="style_guide"),
    path("accounts/", include("knowflow.accounts.urls")),
    path("sessions/", include("knowflow.events.urls")),
    path("circles/", include("knowflow.circles.urls")),
    path("requests/", include("knowflow.demand.urls")),
    path("topics/", include("knowflow.topics.urls")),
    path("feedback/", include("knowflow.feedback.urls")),
    path("calendar/", include("knowflow.integrations.urls")),
    path("insights/", include("knowflow.insights.urls")),
    path("settings/webhooks/", include("knowflow.webhooks.urls")),
    path("chat/", include("knowflow.chat.urls")),
    path("settings/xapi/", include("knowflow.xapi.urls")),
    path("digest/", include("knowflow.digest.urls")),
    path("experts/", include("knowflow.expertise.urls")),
    path("", include("knowflow.library.urls")),
    path("debug/outbox/", debug_views.outbox, name="debug_outbox"),
    path("debug/outbox/<int:message_id>/", debug_views.outbox_message, name="debug_outbox_message"),
    path("settings/scim/", include("knowflow.scim.urls")),
    path("scim/v2/", include("knowflow.scim.protocol_urls")),
    path("admin/login/", admin_sign_in, name="admin_sign_in"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("login/", SignInView.as_view(), name="login"),
    path("conferences/", include("knowflow.conferences.urls")),
    # Last, so it shadows nothing: pretalx's export addresses, /<conference>/schedule.json …
    path("<slug:conference>/", include("knowflow.conferences.public_urls")),
]
