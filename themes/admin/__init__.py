"""The Themes area of the admin: a snippet viewset with drafts, revisions and live previews, scoped to the
user's businesses (``viewsets``), its views (``views``) and the editor's form (``forms``)."""
