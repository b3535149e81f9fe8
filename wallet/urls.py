"""The wallet's URLs (``config/urls.py`` mounts them at the root): the PassKit web service under
``/wallet/apple/v1/`` (any host: devices call the ``webServiceURL`` baked into the pass), and the cabinet's
"add to wallet" links beside the portal's own pages on each portal host."""

from django.urls import path

from wallet import views

app_name = "wallet"

urlpatterns = [
    path(
        "wallet/apple/v1/devices/<str:device>/registrations/<str:pass_type>/<str:serial>",
        views.registration,
        name="apple_registration",
    ),
    path("wallet/apple/v1/devices/<str:device>/registrations/<str:pass_type>", views.serials, name="apple_serials"),
    path("wallet/apple/v1/passes/<str:pass_type>/<str:serial>", views.latest_pass, name="apple_latest_pass"),
    path("wallet/apple/v1/log", views.device_log, name="apple_log"),
    path("account/card/<int:card_id>/apple-wallet/", views.apple_pass_download, name="apple_pass"),
    path("account/card/<int:card_id>/google-wallet/", views.google_pass_save, name="google_pass"),
]
