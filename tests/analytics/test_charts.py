"""The dashboard's figure specs, written as plain dicts, are exactly what plotly's validated ``Figure`` makes of them:
valid for plotly.js, nothing dropped or coerced."""

import json
from datetime import date
from decimal import Decimal

import plotly.graph_objects as go
import pytest
from django.utils import translation

from analytics import charts
from analytics.selectors import TABLE_KEYS, Table

MONTHS = [date(2026, month, 1) for month in range(1, 13)]
ROWS = {
    "sales": [[m, 10 + m.month, Decimal("1234.50"), Decimal("12.00"), Decimal("98.76")] for m in MONTHS],
    "members": [[m, m.month, 2 * m.month] for m in MONTHS],
    "points": [[m, Decimal("1.50"), Decimal("2.00"), Decimal("0.25")] for m in MONTHS],
    "stamps": [[m, Decimal("3"), 1, 0] for m in MONTHS],
    "liability": [["Cashback", Decimal("10.00")], ["Promo", Decimal("2.50")], ["Expires", Decimal("1.00")]],
    "activity": [["Active", 5], ["Inactive", 3], ["Dormant", 2], ["Never", 1]],
    "tiers": [["Base", 4, 1, 0], ["Gold", 2, 1, 1]],
    "card_types": [["Bonus card", 7, Decimal("700.00"), 3]],
    "stores": [[f"Store {n}", Decimal(100 * n), n, Decimal("100.00")] for n in range(1, 11)],
    "cohorts": [[m, 40, Decimal("100.0"), *[Decimal("37.5")] * 10, None] for m in MONTHS],
    "rfm": [[r, f, n, Decimal(n), Decimal("1.00")] for n, (r, f) in enumerate((r, f) for r in "abc" for f in "123")],
    "joining": [["Before joining", Decimal("12.30"), 3], ["After joining", Decimal("45.60"), 3]],
}


def _table(key: str, rows: list) -> Table:
    width = len(ROWS[key][0])
    return Table(key, key.title(), [f"Column {n}" for n in range(width)], rows)


def _json(value) -> dict:
    return json.loads(json.dumps(value))


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("key", TABLE_KEYS)
def test_each_figure_is_what_plotly_validates_it_to(key, language):
    with translation.override(language):
        for rows in (ROWS[key], [] if key != "rfm" else ROWS[key]):
            spec = _json(charts.figure_data(_table(key, rows), accent="#0a7c59"))
            validated = go.Figure(spec).to_plotly_json()
            assert _json({"data": validated["data"], "layout": validated["layout"]}) == spec
            assert spec["layout"]["colorway"][0] == "#0a7c59"
            assert spec["layout"]["separators"] == (",\u00a0" if language == "ru" else ".,")


def test_the_figures_carry_the_tables_numbers():
    sales = charts.figure_data(_table("sales", ROWS["sales"]))
    assert sales["data"][0]["y"][0] == 1234.5 and sales["data"][1]["y"][0] == 11
    assert sales["data"][0]["x"][0] == "2026-01-01"
    stores = charts.figure_data(_table("stores", ROWS["stores"]))
    # The best store on top of the horizontal bars.
    assert stores["data"][0]["orientation"] == "h" and stores["data"][0]["y"][-1] == "Store 1"
    cohorts = charts.figure_data(_table("cohorts", ROWS["cohorts"]))
    assert cohorts["data"][0]["z"][0][-1] is None and cohorts["layout"]["height"] == 28 * 12 + 80
