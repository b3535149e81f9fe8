"""Small vector charts drawn on the server for the PDF report (WeasyPrint runs no JavaScript but draws SVG as
vectors). Plain bars and lines from a ``Table``; text in the report's font (DejaVu Sans, which has Cyrillic, ₴ and ₽).
"""

from decimal import Decimal
from xml.sax.saxutils import escape

FONT = "DejaVu Sans"


def _num(value) -> float:
    return float(value or 0)


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def bars(
    *,
    labels: list[str],
    series: list[tuple[str, list, str]],
    width: int = 520,
    height: int = 200,
    format_value=str,
    horizontal: bool = False,
) -> str:
    """Grouped bars: ``series`` is ``[(name, values, colour)]``, one value per label. Returns an ``<svg>``."""
    left, right, top, bottom = (230 if horizontal else 48), 40, 14, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = _nice_max(max([_num(v) for _name, values, _c in series for v in values] or [0]))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="{FONT}" font-size="9">'
    ]
    n = max(len(labels), 1)
    if horizontal:
        band = plot_h / n
        bar = band * 0.7 / max(len(series), 1)
        for i, label in enumerate(labels):
            y = top + i * band
            parts.append(
                f'<text x="{left - 6}" y="{y + band / 2 + 3:.1f}" text-anchor="end" fill="#333">'
                f"{escape(str(label))}</text>"
            )
            for s, (_name, values, colour) in enumerate(series):
                length = plot_w * _num(values[i]) / peak
                by = y + band * 0.15 + s * bar
                parts.append(f'<rect x="{left}" y="{by:.1f}" width="{length:.1f}" height="{bar:.1f}" fill="{colour}"/>')
                parts.append(
                    f'<text x="{left + length + 4:.1f}" y="{by + bar / 2 + 3:.1f}" fill="#333">'
                    f"{escape(format_value(values[i]))}</text>"
                )
    else:
        for k in range(5):
            value = peak * k / 4
            y = top + plot_h - plot_h * k / 4
            parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e6ea"/>')
            label = format_value(Decimal(str(value))) if peak >= 4 else f"{value:g}"
            parts.append(f'<text x="{left - 4}" y="{y + 3:.1f}" text-anchor="end" fill="#666">{escape(label)}</text>')
        band = plot_w / n
        bar = band * 0.8 / max(len(series), 1)
        every = max(1, n // 12)
        for i, label in enumerate(labels):
            x = left + i * band
            for s, (_name, values, colour) in enumerate(series):
                h = plot_h * _num(values[i]) / peak
                parts.append(
                    f'<rect x="{x + band * 0.1 + s * bar:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" '
                    f'height="{h:.1f}" fill="{colour}"/>'
                )
            if i % every == 0:
                parts.append(
                    f'<text x="{x + band / 2:.1f}" y="{height - bottom + 12}" text-anchor="middle" fill="#666">'
                    f"{escape(str(label))}</text>"
                )
    # Legend
    x = left
    for name, _values, colour in series:
        if len(series) < 2:
            break
        parts.append(f'<rect x="{x}" y="{height - 12}" width="8" height="8" fill="{colour}"/>')
        parts.append(f'<text x="{x + 11}" y="{height - 5}" fill="#333">{escape(name)}</text>')
        x += 16 + 6 * len(name)
    parts.append("</svg>")
    return "".join(parts)
