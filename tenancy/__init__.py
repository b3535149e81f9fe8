"""The tenancy kit every app uses: businesses (the tenants) and who works for them, the audit trail, the one
registry of tenant-owned models, the access helpers and permission policy built on it, and admin bases that
scope every view, form and Wagtail area (images, documents, pages) to the user's businesses."""
