"""Jinja2 templates of the console (autoescape on), with what every page needs in its context:
the language's texts, the CSRF token, status words, times for the browser to format."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.requests import Request

from contenthub_async.domain.states import RETRYABLE_BY_OPERATOR, TERMINAL, TaskStatus
from contenthub_async.http.console import security
from contenthub_async.http.console.articles import render_article
from contenthub_async.http.console.charts import hourly_chart
from contenthub_async.http.console.i18n import console_text, language_of
from contenthub_async.texts.messages import Language, status_word
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


def iso_utc(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def time_element(value: datetime | None, fmt: str = "datetime") -> Markup:
    """``<time>`` with the UTC instant; the console's script rewrites it in the browser's zone."""
    if value is None:
        return Markup('<span class="muted">–</span>')
    text = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return Markup('<time datetime="{0}" data-format="{1}">{2}</time>').format(iso_utc(value), fmt, text)


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
            web_link=web_link,
            delivery_glyphs=DELIVERY_GLYPHS,
        )

    def page(self, request: Request, template: str, **context: Any) -> str:
        lang = language_of(request.headers.get("accept-language"))
        now = self.config.clock.now()

        def t(key: str, **fields: object) -> str:
            return console_text(lang, key, **fields)

        def chart(buckets: Any, chart_id: str, title: str, label_every: int) -> Markup:
            return hourly_chart(buckets, chart_id=chart_id, title=title, label_every=label_every, t=t)

        from contenthub_async.http.console.routes import NOTICES

        notice = request.query_params.get("notice")
        return self.env.get_template(template).render(
            request_path=request.url.path,
            lang=lang,
            t=t,
            ctl=lambda key, **fields: ctl_text(key, lang, **fields),
            status_word=lambda status: status_word(str(status), lang),
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
