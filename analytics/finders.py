"""A static files finder that serves plotly.js from the installed ``plotly`` package as
``analytics/plotly.min.js``: ``collectstatic`` copies it like any app's static file and whitenoise serves it, so the
version always matches plotly.py's and no CDN is involved."""

from pathlib import Path

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

STATIC_PATH = "analytics/plotly.min.js"
SOURCE = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


class PlotlyFinder(BaseFinder):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Storage rooted at plotly's package_data, with the file's prefix added by ``list``.
        self.storage = FileSystemStorage(location=str(SOURCE.parent))
        self.storage.prefix = "analytics"

    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        if path != STATIC_PATH or not SOURCE.is_file():
            return [] if find_all else None
        return [str(SOURCE)] if find_all else str(SOURCE)

    def list(self, ignore_patterns):
        if SOURCE.is_file():
            yield SOURCE.name, self.storage
