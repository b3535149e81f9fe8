"""The editor's live contrast check: each pair's ratio and verdict, computed here for the first render and kept
up to date by ``themes/static/themes/theme-editor.js`` as the owner types."""

from wagtail.admin.panels import Panel

from themes.colours import AA_RATIO, CONTRAST_PAIRS, contrast_check


class ContrastPanel(Panel):
    class BoundPanel(Panel.BoundPanel):
        template_name = "themes/admin/contrast_panel.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            results = {result.pair.foreground: result for result in contrast_check(self.instance)}
            context["rows"] = [
                {
                    "pair": pair,
                    "foreground_id": f"id_{pair.foreground}",
                    "background_id": f"id_{pair.background}",
                    "result": results.get(pair.foreground),
                }
                for pair in CONTRAST_PAIRS
            ]
            context["aa_ratio"] = AA_RATIO
            context["any_fail"] = any(not result.passes for result in results.values())
            return context
