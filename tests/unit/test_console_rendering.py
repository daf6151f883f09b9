"""The console's pure parts: language choice, sanitized articles, SVG charts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contenthub_async.http.console.articles import render_article
from contenthub_async.http.console.charts import hourly_chart
from contenthub_async.http.console.i18n import console_text, language_of
from contenthub_async.services.console_queries import HourBucket


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"), ("", "en"), ("zh-CN,zh;q=0.9,en;q=0.8", "zh"), ("en-US,en;q=0.9,zh;q=0.8", "en"),
        ("fr-FR, zh-TW;q=0.7, en;q=0.5", "zh"), ("de, fr", "en"), ("en;q=0.2, zh;q=0.9", "zh"),
        ("zh;q=0, en", "en"), ("ZH_cn", "zh"), ("en;q=bad, zh;q=0.5", "zh"),
    ],
)
def test_language_from_accept_language(header: str | None, expected: str) -> None:
    assert language_of(header) == expected


def test_every_console_text_exists_in_both_languages() -> None:
    from contenthub_async.http.console.i18n import catalog

    english = set(catalog("en")._catalog) - {""}  # type: ignore[attr-defined]
    chinese = set(catalog("zh")._catalog) - {""}  # type: ignore[attr-defined]
    assert english == chinese and len(english) > 100
    assert console_text("zh", "nav.tasks") == "任务" and console_text("en", "nav.tasks") == "Tasks"
    with pytest.raises(KeyError):
        console_text("en", "no.such.key")


def test_every_stored_word_the_console_shows_has_its_text() -> None:
    from contenthub_async.domain import vocabulary as v

    for prefix, words in (("daemon", v.DaemonStatus), ("run", v.JobRunStatus), ("trigger", v.JobRunTrigger),
                          ("pool", v.PoolStatus), ("review", v.ReviewStatus), ("publish", v.PublishStatus)):
        for word in words:
            for lang in ("en", "zh"):
                assert console_text(lang, f"{prefix}.{word.value}"), (prefix, word)  # type: ignore[arg-type]


def test_article_markdown_is_rendered_and_sanitized() -> None:
    html = str(render_article(
        "# 标题\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n"
        "[ok](https://example.com/a) [bad](javascript:alert(3)) [data](data:text/html,x)\n\n"
        "![cover](https://cdn.example/cover.png)\n\n| a | b |\n|---|---|\n| 1 | **2** |\n"
    ))
    assert "<h2>标题</h2>" in html
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "onerror" not in html.replace("&lt;img src=x onerror=alert(2)&gt;", "")
    assert 'href="https://example.com/a"' in html and 'rel="noopener noreferrer nofollow"' in html
    assert "javascript:" not in html.replace("[bad](javascript:alert(3))", "") and "data:text" not in html.replace(
        "[data](data:text/html,x)", "")
    assert '<a href="https://cdn.example/cover.png"' in html and "cover" in html  # images become links
    assert "<table>" in html and "<strong>2</strong>" in html


def test_hourly_chart_draws_bars_rate_and_local_time_labels() -> None:
    start = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)
    buckets = [HourBucket(start + timedelta(hours=h), completed=h % 3, failed=1 if h == 5 else 0) for h in range(24)]
    svg = str(hourly_chart(buckets, chart_id="c1", title="Last <24 h>", label_every=3,
                           t=lambda key, **f: console_text("en", key, **f)))
    assert svg.startswith('<svg class="chart" id="c1"') and svg.endswith("</svg>")
    assert "Last &lt;24 h&gt;" in svg and "<24 h>" not in svg
    assert svg.count('class="bar-ok"') == sum(1 for b in buckets if b.completed)
    assert svg.count('class="bar-failed"') == 1 and 'fill="url(#c1-hatch)"' in svg
    assert 'data-time="2026-11-22T23:00:00Z" data-format="hm"' in svg  # labels counted back from now
    assert "<polyline" in svg and "style=" not in svg  # no inline style (the CSP forbids it)
    assert "24 completed, 1 failed or timed out, success rate 96.0 %" in svg
    empty = str(hourly_chart([HourBucket(start, 0, 0)], chart_id="c2", title="x", label_every=1,
                             t=lambda key, **f: console_text("en", key, **f)))
    assert "success rate –" in empty and "<polyline" not in empty
