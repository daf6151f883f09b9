"""Jinja2 templates of the console (autoescape on), with what every page needs in its context:
the language's texts, the CSRF token, status words, times for the browser to format."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape
from starlette.requests import Request

from contenthub_async.domain.states import RETRYABLE_BY_OPERATOR, TERMINAL, TaskStatus
from contenthub_async.http.console import security
from contenthub_async.http.console.articles import render_article
from contenthub_async.http.console.charts import hourly_chart
from contenthub_async.http.console.i18n import console_text, language_of
from contenthub_async.texts.messages import Language, note_text, status_word
from contenthub_async.texts.messages import text as ctl_text

if TYPE_CHECKING:
    from contenthub_async.http.console.routes import ConsoleConfig

#: A glyph per status, so that statuses differ by shape as well as by colour.
STATUS_GLYPHS = {
    "pending": "○", "submitting": "↗", "submitted": "↗", "processing": "▶", "completed": "✓",
    "failed": "✕", "timeout": "◷", "cancelled": "⊘",
}

#: A glyph per webhook delivery status (docs/webhooks.md): pending, delivered, dead.
DELIVERY_GLYPHS = {"pending": "○", "delivered": "✓", "dead": "✕"}

#: Charts kept drawn (two per language while nothing finishes; redrawn when an hour changes).
CHARTS_KEPT = 8


def iso_utc(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


NO_TIME = Markup('<span class="muted">–</span>')


def time_element(value: datetime | None, fmt: str = "datetime") -> Markup:
    """``<time>`` with the UTC instant; the console's script rewrites it in the browser's zone.

    Built with an f-string rather than ``Markup.format`` (a page has dozens of times, and the
    latter escapes each field through the formatter): the instant is digits and punctuation, and
    ``fmt`` is escaped."""
    if value is None:
        return NO_TIME
    u = value.astimezone(UTC)
    day, clock = f"{u.year:04d}-{u.month:02d}-{u.day:02d}", f"{u.hour:02d}:{u.minute:02d}:{u.second:02d}"
    iso = f"{day}T{clock}.{u.microsecond // 1000:03d}Z"  # not strftime: it is slow here (glibc reads the zone)
    return Markup(f'<time datetime="{iso}" data-format="{escape(fmt)}">{day} {clock} UTC</time>')  # noqa: S704


def task_link(task_id: str) -> Markup:
    return Markup(f'<a class="mono" href="/tasks/{escape(task_id)}">{escape(task_id)}</a>')  # noqa: S704


@lru_cache(maxsize=64)
def _badge(lang: Language, status: str) -> Markup:
    """A status with its glyph and its word in ``lang`` (colour, shape and text)."""
    return Markup(  # noqa: S704 - escaped
        f'<span class="status status-{escape(status)}"><span class="glyph" aria-hidden="true">'
        f'{escape(STATUS_GLYPHS.get(status, "•"))}</span> {escape(status_word(status, lang))}</span>'
    )


def web_link(url: str | None) -> str | None:
    """``url`` when it is an http(s) address (a publisher's answer is not trusted), else None."""
    if url and url.lower().startswith(("http://", "https://")):
        return url
    return None


def _duration(seconds: float | None, lang: Language) -> str:
    if seconds is None:
        return "–"
    seconds = max(seconds, 0)
    if seconds < 90:
        return console_text(lang, "unit.seconds", n=int(seconds))
    if seconds < 90 * 60:
        return console_text(lang, "unit.minutes", n=int(seconds // 60))
    if seconds < 36 * 3600:
        return console_text(lang, "unit.hours", n=round(seconds / 3600, 1))
    return console_text(lang, "unit.days", n=round(seconds / 86400, 1))


def _count(value: str | None) -> int:
    return int(value) if value and value.isdigit() and len(value) < 6 else 0


class Renderer:
    def __init__(self, config: ConsoleConfig) -> None:
        self.config = config
        #: Charts drawn from the same hours in the same language are drawn once: a chart is a
        #: function of its buckets, and the week's has 168 bars (most of a render without this).
        self._charts: dict[tuple[Any, ...], Markup] = {}
        self.env = Environment(
            loader=PackageLoader("contenthub_async.http.console", "templates"),
            autoescape=select_autoescape(["html"], default=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals.update(
            time=time_element,
            glyph=lambda status: STATUS_GLYPHS.get(str(status), "•"),
            statuses=[s.value for s in TaskStatus],
            terminal={s.value for s in TERMINAL},
            retryable={s.value for s in RETRYABLE_BY_OPERATOR},
            article_html=render_article,
            iso=iso_utc,
            task_link=task_link,
            web_link=web_link,
            delivery_glyphs=DELIVERY_GLYPHS,
        )

    def page(self, request: Request, template: str, **context: Any) -> str:
        lang = language_of(request.headers.get("accept-language"))
        now = self.config.clock.now()

        def t(key: str, **fields: object) -> str:
            return console_text(lang, key, **fields)

        def chart(buckets: Any, chart_id: str, title: str, label_every: int) -> Markup:
            key = (lang, chart_id, title, label_every, tuple(buckets))
            svg = self._charts.get(key)
            if svg is None:
                if len(self._charts) >= CHARTS_KEPT:
                    self._charts.clear()
                svg = self._charts[key] = hourly_chart(buckets, chart_id=chart_id, title=title,
                                                       label_every=label_every, t=t)
            return svg

        from contenthub_async.http.console.routes import NOTICES

        notice = request.query_params.get("notice")
        return self.env.get_template(template).render(
            request_path=request.url.path,
            lang=lang,
            t=t,
            ctl=lambda key, **fields: ctl_text(key, lang, **fields),
            status_word=lambda status: status_word(str(status), lang),
            note=lambda note, fallback: note_text(note, fallback, lang),
            badge=lambda status: _badge(lang, str(status)),
            age=lambda at: _duration(None if at is None else (now - at).total_seconds(), lang),
            duration=lambda seconds: _duration(seconds, lang),
            chart=chart,
            now=now,
            csrf=security.csrf_token(request),
            csrf_field=security.CSRF_FIELD,
            sign_in_required=bool(self.config.token),
            notice=notice if notice in NOTICES else None,
            notice_done=_count(request.query_params.get("done")),
            notice_refused=_count(request.query_params.get("refused")),
            **context,
        )
