"""Plotly figures built on the server from the dashboard's ``Table``s (``analytics.selectors``), sent to the page as
JSON and drawn there by plotly.js (served from the installed package, ``analytics.finders``).

The figures are written as the plain dicts ``Plotly.newPlot`` takes rather than through ``plotly.graph_objects``:
validating twelve figures there cost more than reading all the rollups of a dashboard. The tests check that each
spec is exactly what plotly's validated ``Figure`` makes of the same table (``tests/analytics/test_charts.py``).
"""

from datetime import date
from decimal import Decimal

from django.utils.translation import get_language

from analytics.selectors import Table

PALETTE = ["#1f6feb", "#2da44e", "#cf222e", "#bf8700", "#8250df", "#57606a", "#e16f24", "#0969da"]
# Plotly's separators: the decimal mark, then the thousands separator ("1 234,5" in ru/uk, "1,234.5" in en).
SEPARATORS = {"ru": ",\u00a0", "uk": ",\u00a0"}
# No plotly template: its defaults double the JSON and the time to build. This is what plotly writes for "none".
NO_TEMPLATE = {"data": {"scatter": [{"type": "scatter"}]}}


def _plain(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _column(table: Table, index: int) -> list:
    return [_plain(row[index]) for row in table.rows]


def _merged(base: dict, changes: dict) -> dict:
    """``base`` updated by ``changes`` as plotly's ``update_layout`` does: nested dicts merge, other values replace."""
    merged = dict(base)
    for name, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(name), dict):
            merged[name] = _merged(merged[name], value)
        else:
            merged[name] = value
    return merged


def _layout(figure_layout: dict, *, accent: str, legend: bool = True) -> dict:
    """The figure's own layout under the styles every dashboard figure shares (which win where both say)."""
    language = (get_language() or "en").split("-")[0]
    return _merged(
        figure_layout,
        {
            "template": NO_TEMPLATE,
            "xaxis": {"gridcolor": "#eaeef2", "linecolor": "#d0d7de", "automargin": True},
            "yaxis": {"gridcolor": "#eaeef2", "zerolinecolor": "#d0d7de", "automargin": True},
            "separators": SEPARATORS.get(language, ".,"),
            "margin": {"l": 48, "r": 12, "t": 12, "b": 36},
            "height": 300,
            "colorway": [accent, *PALETTE],
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)",
            "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
            "showlegend": legend,
            "legend": {"orientation": "h", "y": -0.2},
        },
    )


def _bar(x: list, y: list, name: str, **more) -> dict:
    return {"name": name, "x": x, "y": y, "type": "bar", **more}


def figure_data(table: Table, *, accent: str = "#1f6feb") -> dict:
    """The figure of one table as ``Plotly.newPlot`` takes it (``data`` and ``layout``), plain JSON types only; the
    chart kind follows the table's key."""
    key = table.key
    if key == "sales":
        data = [
            _bar(_column(table, 0), _column(table, 2), table.columns[2]),
            {
                "mode": "lines+markers",
                "name": table.columns[1],
                "x": _column(table, 0),
                "y": _column(table, 1),
                "yaxis": "y2",
                "type": "scatter",
            },
        ]
        layout = _layout(
            {
                "yaxis": {"rangemode": "tozero"},
                "yaxis2": {
                    "overlaying": "y",
                    "side": "right",
                    "showgrid": False,
                    "rangemode": "tozero",
                    "tickformat": ",d",
                },
            },
            accent=accent,
        )
        layout = _merged(layout, {"margin": {"r": 48}})
    elif key in ("members", "points", "stamps"):
        data = [_bar(_column(table, 0), _column(table, i), table.columns[i]) for i in range(1, len(table.columns))]
        layout = _layout({"barmode": "group"}, accent=accent)
    elif key in ("activity", "tiers"):
        data = [{"hole": 0.5, "labels": _column(table, 0), "sort": False, "values": _column(table, 1), "type": "pie"}]
        layout = _layout({}, accent=accent)
    elif key == "cohorts":
        data = [
            {
                "colorscale": [[0, "#f6f8fa"], [1, accent]],
                "hoverongaps": False,
                "texttemplate": "%{z:.0f}",
                "x": table.columns[2:],
                "y": [f"{row[0]:%Y-%m} ({row[1]})" for row in table.rows],
                "z": [[_plain(cell) for cell in row[2:]] for row in table.rows],
                "zmax": 100,
                "zmin": 0,
                "type": "heatmap",
            }
        ]
        layout = _layout({"yaxis": {"autorange": "reversed", "type": "category"}}, accent=accent, legend=False)
        layout["height"] = max(300, 28 * len(table.rows) + 80)
    elif key == "rfm":
        recency = list(dict.fromkeys(row[0] for row in table.rows))
        frequency = list(dict.fromkeys(row[1] for row in table.rows))
        grid = [[next(row[2] for row in table.rows if row[0] == r and row[1] == f) for f in frequency] for r in recency]
        data = [
            {
                "colorscale": [[0, "#f6f8fa"], [1, accent]],
                "showscale": False,
                "texttemplate": "%{z}",
                "x": frequency,
                "y": recency,
                "z": grid,
                "type": "heatmap",
            }
        ]
        layout = _layout(
            {
                "xaxis": {"title": {"text": table.columns[1]}, "type": "category"},
                "yaxis": {"title": {"text": table.columns[0]}, "type": "category", "autorange": "reversed"},
            },
            accent=accent,
            legend=False,
        )
    elif key == "stores":
        rows = list(reversed(table.rows))
        data = [
            _bar(
                [_plain(row[1]) for row in rows],
                [row[0] for row in rows],
                table.columns[1],
                orientation="h",
            )
        ]
        layout = _merged(_layout({"yaxis": {"automargin": True}}, accent=accent, legend=False), {"margin": {"l": 12}})
    else:  # card_types, liability, joining: categories and their first figure column
        data = [_bar(_column(table, 0), _column(table, 1), table.columns[1])]
        layout = _layout({}, accent=accent, legend=False)
    return {"data": data, "layout": layout}
