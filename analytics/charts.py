"""Plotly figures built on the server from the dashboard's ``Table``s (``analytics.selectors``), sent to the page as
JSON and drawn there by plotly.js (served from the installed package, ``analytics.finders``)."""

from datetime import date
from decimal import Decimal

import plotly.graph_objects as go
from django.utils.translation import get_language

from analytics.selectors import Table

PALETTE = ["#1f6feb", "#2da44e", "#cf222e", "#bf8700", "#8250df", "#57606a", "#e16f24", "#0969da"]
# Plotly's separators: the decimal mark, then the thousands separator ("1 234,5" in ru/uk, "1,234.5" in en).
SEPARATORS = {"ru": ",\u00a0", "uk": ",\u00a0"}


def _plain(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _column(table: Table, index: int) -> list:
    return [_plain(row[index]) for row in table.rows]


def _layout(figure: go.Figure, *, accent: str, legend: bool = True) -> go.Figure:
    language = (get_language() or "en").split("-")[0]
    figure.update_layout(
        # No plotly template: its defaults double the JSON and the time to build; the few styles we want follow.
        template="none",
        xaxis={"gridcolor": "#eaeef2", "linecolor": "#d0d7de", "automargin": True},
        yaxis={"gridcolor": "#eaeef2", "zerolinecolor": "#d0d7de", "automargin": True},
        separators=SEPARATORS.get(language, ".,"),
        margin={"l": 48, "r": 12, "t": 12, "b": 36},
        height=300,
        colorway=[accent, *PALETTE],
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
        showlegend=legend,
        legend={"orientation": "h", "y": -0.2},
    )
    return figure


def figure_for(table: Table, *, accent: str = "#1f6feb") -> go.Figure:
    """The figure of one table; the chart kind follows the table's key."""
    key = table.key
    if key == "sales":
        figure = go.Figure(
            [
                go.Bar(x=_column(table, 0), y=_column(table, 2), name=table.columns[2]),
                go.Scatter(
                    x=_column(table, 0), y=_column(table, 1), name=table.columns[1], yaxis="y2", mode="lines+markers"
                ),
            ]
        )
        figure.update_layout(
            yaxis={"rangemode": "tozero"},
            yaxis2={"overlaying": "y", "side": "right", "showgrid": False, "rangemode": "tozero", "tickformat": ",d"},
            margin={"r": 48},
        )
    elif key in ("members", "points", "stamps"):
        figure = go.Figure(
            [
                go.Bar(x=_column(table, 0), y=_column(table, i), name=table.columns[i])
                for i in range(1, len(table.columns))
            ]
        )
        figure.update_layout(barmode="group")
    elif key in ("activity", "tiers"):
        figure = go.Figure([go.Pie(labels=_column(table, 0), values=_column(table, 1), hole=0.5, sort=False)])
    elif key == "cohorts":
        figure = go.Figure(
            [
                go.Heatmap(
                    z=[[_plain(cell) for cell in row[2:]] for row in table.rows],
                    x=table.columns[2:],
                    y=[f"{row[0]:%Y-%m} ({row[1]})" for row in table.rows],
                    colorscale=[[0, "#f6f8fa"], [1, accent]],
                    zmin=0,
                    zmax=100,
                    hoverongaps=False,
                    texttemplate="%{z:.0f}",
                )
            ]
        )
        figure.update_yaxes(autorange="reversed", type="category")
        figure.update_layout(height=max(300, 28 * len(table.rows) + 80))
        return _layout(figure, accent=accent, legend=False).update_layout(height=max(300, 28 * len(table.rows) + 80))
    elif key == "rfm":
        recency = list(dict.fromkeys(row[0] for row in table.rows))
        frequency = list(dict.fromkeys(row[1] for row in table.rows))
        grid = [[next(row[2] for row in table.rows if row[0] == r and row[1] == f) for f in frequency] for r in recency]
        figure = go.Figure(
            [
                go.Heatmap(
                    z=grid,
                    x=frequency,
                    y=recency,
                    colorscale=[[0, "#f6f8fa"], [1, accent]],
                    texttemplate="%{z}",
                    showscale=False,
                )
            ]
        )
        figure.update_xaxes(title=table.columns[1], type="category")
        figure.update_yaxes(title=table.columns[0], type="category", autorange="reversed")
        return _layout(figure, accent=accent, legend=False)
    elif key == "stores":
        rows = list(reversed(table.rows))
        figure = go.Figure(
            [
                go.Bar(
                    y=[row[0] for row in rows],
                    x=[_plain(row[1]) for row in rows],
                    orientation="h",
                    name=table.columns[1],
                )
            ]
        )
        figure.update_yaxes(automargin=True)
        return _layout(figure, accent=accent, legend=False).update_layout(margin={"l": 12})
    else:  # card_types, liability, joining: categories and their first figure column
        figure = go.Figure([go.Bar(x=_column(table, 0), y=_column(table, 1), name=table.columns[1])])
        return _layout(figure, accent=accent, legend=False)
    figure = _layout(figure, accent=accent)
    if key == "sales":
        figure.update_layout(margin={"r": 48})
    return figure


def figure_data(table: Table, *, accent: str = "#1f6feb") -> dict:
    """The figure as ``Plotly.newPlot`` takes it (``data`` and ``layout``), plain JSON types only."""
    # to_plotly_json: the validated figure as plain dicts and lists (our inputs hold no numpy arrays), without the
    # JSON round trip of to_json.
    spec = figure_for(table, accent=accent).to_plotly_json()
    return {"data": spec["data"], "layout": spec["layout"]}
