"""The Loyalty admin (Wagtail): builder viewsets, members and staff actions, audit log. Wired in wagtail_hooks.py.

Kept import-free: Django's admin autodiscovery imports ``programs.admin`` at start-up.
"""
