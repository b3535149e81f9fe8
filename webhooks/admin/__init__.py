"""The webhooks admin (Wagtail): endpoints, the delivery log and their actions. Wired in ``webhooks/wagtail_hooks.py``.

Kept import-free: Django's admin autodiscovery imports ``webhooks.admin`` at start-up.
"""
