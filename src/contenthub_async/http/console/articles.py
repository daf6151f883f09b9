"""Generated articles as HTML. The text comes from a language model: untrusted.

markdown-it-py (CommonMark, already installed with rich) renders with raw HTML off, so HTML
in the markdown is shown as text; its link check drops ``javascript:``/``data:`` URLs. nh3
(ammonia) then allows only the tags and attributes listed here, as a second wall. Images are
turned into links: the console loads nothing from another host.
"""

from __future__ import annotations

from typing import Any

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "ol", "p",
    "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}
_ATTRIBUTES = {"a": {"href", "title"}}


def _image_as_link(renderer: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    src = token.attrGet("src") or ""
    alt = token.content or src
    return f'<a href="{escape(src)}">↗ {escape(alt)}</a>'


def _renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")
    md.add_render_rule("image", _image_as_link)
    return md


_MARKDOWN = _renderer()


def render_article(markdown: str) -> Markup:
    """Safe HTML of an article's markdown; its headings one level down (the page's h1 is the topic)."""
    tokens = _MARKDOWN.parse(markdown)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"
    html = _MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {})
    clean = nh3.clean(
        html, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)  # noqa: S704 - sanitized above
