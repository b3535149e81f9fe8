"""Template helpers of the portal pages."""

import re

from django import template
from django.utils.safestring import mark_safe

register = template.Library()

# What may never appear inside the <style> element the brand's custom properties are written into: a way out of
# the rule ("{", "}"), of the element ("<", ">") or an escape or comment to hide one.
UNSAFE_IN_STYLE = re.compile(r"[<>{}\\]|/\*|\*/")


@register.filter
def portal_css(tokens) -> str:
    """``tokens.css`` ready to go between ``:root {`` and ``}`` in a ``<style>`` element: HTML escaping would break
    the quotes of font names, so the characters that could end the rule or the element are removed instead."""
    return mark_safe(UNSAFE_IN_STYLE.sub("", tokens.css))
