"""Server-rendered SVG charts: finished tasks per hour as stacked bars (completed, and failed
or timed out, hatched), with the success rate of each hour as a line on a 0–100 % axis.

No script and no style attribute: colours come from the console's stylesheet (classes), times
from ``data-time`` attributes that the console's script writes in the browser's time zone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from markupsafe import Markup, escape

from contenthub_async.services.console_queries import HourBucket, success_rate

WIDTH, HEIGHT = 720, 200
LEFT, RIGHT, TOP, BOTTOM = 40, 44, 12, 26
Text = Callable[..., str]


def _nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 × 10^k that is ≥ value (at least 1)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def _utc(bucket: HourBucket) -> str:
    return bucket.start.strftime("%Y-%m-%dT%H:%M:%SZ")


def hourly_chart(buckets: Sequence[HourBucket], *, chart_id: str, title: str, label_every: int, t: Text) -> Markup:
    """An SVG of ``buckets`` (oldest first); an x label every ``label_every`` hours, counted back from now."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = _nice_ceiling(max((b.finished for b in buckets), default=0))
    slot = plot_w / len(buckets)
    bar = max(slot * 0.8, 1.0)
    completed = sum(b.completed for b in buckets)
    failed = sum(b.failed for b in buckets)
    rate = success_rate(buckets)
    summary = t("chart.summary", title=title, completed=completed, failed=failed,
                rate="–" if rate is None else f"{rate * 100:.1f} %")
    hatch = f"{chart_id}-hatch"

    def y(count: float) -> float:
        return TOP + plot_h - plot_h * count / top

    out = [
        f'<svg class="chart" id="{chart_id}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{chart_id}-t">',
        f'<title id="{chart_id}-t">{escape(summary)}</title>',
        f'<defs><pattern id="{hatch}" width="4" height="4" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<rect class="bar-fail" width="4" height="4"/><line class="hatch" x1="0" y1="0" x2="0" y2="4"/></pattern></defs>',
    ]
    for fraction in (0, 0.5, 1):
        gy = y(top * fraction)
        out.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{gy:.1f}" y2="{gy:.1f}"/>')
        out.append(f'<text class="axis" x="{LEFT - 6}" y="{gy + 4:.1f}" text-anchor="end">{top * fraction:g}</text>')
        out.append(f'<text class="axis rate" x="{WIDTH - RIGHT + 6}" y="{gy + 4:.1f}">{fraction * 100:.0f}%</text>')
    points: list[list[str]] = [[]]
    for i, b in enumerate(buckets):
        x = LEFT + i * slot + (slot - bar) / 2
        if not b.finished:
            if points[-1]:
                points.append([])
            continue
        tip = t("chart.bar", completed=b.completed, failed=b.failed)
        out.append(f'<g class="slot"><title data-time="{_utc(b)}" data-format="hour" data-suffix="{escape(tip)}">'
                   f'{_utc(b)} {escape(tip)}</title>')
        out.append(f'<rect class="hit" x="{LEFT + i * slot:.2f}" y="{TOP}" width="{slot:.2f}" height="{plot_h}"/>')
        if b.completed:
            out.append(f'<rect class="bar-ok" x="{x:.2f}" y="{y(b.completed):.2f}" width="{bar:.2f}" '
                       f'height="{y(0) - y(b.completed):.2f}"/>')
        if b.failed:
            out.append(f'<rect fill="url(#{hatch})" class="bar-failed" x="{x:.2f}" y="{y(b.finished):.2f}" '
                       f'width="{bar:.2f}" height="{y(b.completed) - y(b.finished):.2f}"/>')
        out.append("</g>")
        if b.success_rate is not None:
            points[-1].append(f"{x + bar / 2:.2f},{TOP + plot_h - plot_h * b.success_rate:.2f}")
    for line in points:
        if len(line) > 1:
            out.append(f'<polyline class="rate-line" points="{" ".join(line)}"/>')
        elif line:
            cx, cy = line[0].split(",")
            out.append(f'<circle class="rate-dot" cx="{cx}" cy="{cy}" r="2.5"/>')
    for i in range(len(buckets) - 1, -1, -label_every):
        b = buckets[i]
        x = LEFT + i * slot + slot / 2
        fmt = "hm" if label_every < 24 else "day"
        at = b.start if label_every < 24 else b.start + timedelta(minutes=30)
        out.append(f'<text class="axis" x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle" '
                   f'data-time="{at.strftime("%Y-%m-%dT%H:%M:%SZ")}" data-format="{fmt}">{b.start:%H:%M}</text>')
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every text above is escaped or a number
