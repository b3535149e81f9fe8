"""The portal's URLs, under ``/account/`` on every program's portal host (``config/urls.py``)."""

from django.urls import path

from portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-in/card/", views.sign_in_card, name="sign_in_card"),
    path("code/", views.code, name="code"),
    path("welcome/", views.welcome, name="welcome"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("sign-out/everywhere/", views.sign_out_everywhere, name="sign_out_everywhere"),
    path("language/", views.language, name="language"),
    path("card/", views.card, name="card"),
    path("card/<int:card_id>/replace/", views.card_replace_view, name="card_replace"),
    path("history/", views.history, name="history"),
    path("profile/", views.profile, name="profile"),
    # The installable app: reachable signed out (browsers fetch manifests without cookies).
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("icon-<int:size>.png", views.icon, name="icon"),
    path("sw.js", views.service_worker, name="service_worker"),
]
