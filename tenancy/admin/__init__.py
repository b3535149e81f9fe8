"""Admin bases for tenant-owned models: a ModelViewSet whose views reach only the user's businesses' rows
(``viewsets``), the view mixin doing it (``views.ScopedQuerysetMixin``) and a model form whose foreign-key choices
are limited to those businesses (``forms``)."""
