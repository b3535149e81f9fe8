"""Writes of the loyalty engine. Import from the submodules: ``programs.services.purchases`` etc."""
