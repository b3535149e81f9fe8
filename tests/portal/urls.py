"""The portal's installable-app views routed as the cabinet will route them, for tests over HTTP: the program
comes from the path's first segment here, where the portal takes it from the host."""

from django.shortcuts import get_object_or_404
from django.urls import path

from portal import pwa
from programs.models import Program


def with_program(view):
    def wrapped(request, slug, **kwargs):
        return view(request, get_object_or_404(Program, slug=slug), **kwargs)

    return wrapped


urlpatterns = [
    path("<slug:slug>/account/manifest.webmanifest", with_program(pwa.manifest_view)),
    path("<slug:slug>/account/icon-<int:size>.png", with_program(pwa.icon_view)),
    path("<slug:slug>/account/sw.js", with_program(pwa.service_worker_view)),
]
