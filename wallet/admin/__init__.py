"""The wallet admin (Wagtail): each program's wallet status, its credentials form and the member page's wallet panel.
Wired in ``wallet/wagtail_hooks.py``.

Kept import-free: Django's admin autodiscovery imports ``wallet.admin`` at start-up.
"""
