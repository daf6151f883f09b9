"""Every human-readable string of ``contenthub-ctl`` and the HTTP API, looked up in gettext catalogs.

The catalogs are ``locale/<lang>/LC_MESSAGES/contenthub-ctl.po`` beside this module (English
and Chinese; the web console's own texts are ``contenthub-console.po`` there), compiled to ``.mo`` by ``scripts/compile-messages``. A message is looked up by
key and formatted with named fields::

    text("error.task_not_found", task_id="task-0123456789ab")

The language follows GNU gettext's rules. The locale is the first of ``LC_ALL``,
``LC_MESSAGES``, ``LANG`` that is set (none: ``C``). Unless that locale is ``C`` or ``POSIX``
(gettext ignores ``LANGUAGE`` there, so that such programs' output stays untranslated),
``LANGUAGE`` wins: a colon-separated list of languages (``zh_CN:en``) whose first entry we have
a catalog for decides, and English when it names none of ours. ``C.UTF-8`` is a locale of its
own and honours ``LANGUAGE``. Otherwise a locale starting with ``zh`` selects Chinese, anything
else English. JSON output never goes through the catalogs (its keys are English and stable).

The HTTP API uses the same catalogs: it answers in the language of each request's
``Accept-Language`` by running the request under :func:`use_language`.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Literal

from contenthub_async.domain.notes import Note, render

Language = Literal["en", "zh"]
LANGUAGES: tuple[Language, ...] = ("en", "zh")
DOMAIN = "contenthub-ctl"
LOCALE_DIR = Path(__file__).with_name("locale")


def _catalog_language(name: str) -> Language | None:
    """Ours for a language or locale name (``zh_CN.UTF-8`` → ``zh``), None for one we lack."""
    lang = name.strip().split("_")[0].split(".")[0].split("@")[0].lower()
    return next((known for known in LANGUAGES if known == lang), None)


def detect_language(environ: Mapping[str, str] | None = None) -> Language:
    """The catalog language for ``environ`` (GNU order: LANGUAGE, then LC_ALL, LC_MESSAGES, LANG)."""
    env = os.environ if environ is None else environ
    locale = next((env[name] for name in ("LC_ALL", "LC_MESSAGES", "LANG") if env.get(name)), "C")
    languages = env.get("LANGUAGE", "")
    if languages and locale not in ("C", "POSIX"):
        chosen = (_catalog_language(entry) for entry in languages.split(":") if entry)
        return next((lang for lang in chosen if lang), "en")
    return "zh" if locale.lower().startswith("zh") else "en"


@lru_cache(maxsize=1)
def process_language() -> Language:
    """The language of this process's locale (read once)."""
    return detect_language()


_chosen: ContextVar[Language | None] = ContextVar("contenthub_language", default=None)


def language() -> Language:
    """The language messages are written in here: the one chosen by :func:`use_language`
    (an HTTP request's), else the process's."""
    return _chosen.get() or process_language()


@contextmanager
def use_language(lang: Language) -> Iterator[None]:
    """Messages in ``lang`` within this block (and the tasks it starts)."""
    token = _chosen.set(lang)
    try:
        yield
    finally:
        _chosen.reset(token)


def accepted_language(header: str | None) -> Language:
    """The catalog language an ``Accept-Language`` header prefers (RFC 9110 q-values);
    English when it names none of ours."""
    best: tuple[float, int, Language] | None = None
    for position, item in enumerate((header or "").split(",")):
        name, _, params = item.strip().partition(";")
        lang = _catalog_language(name.replace("-", "_"))
        if lang is None:
            continue
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0 and (best is None or (quality, -position) > (best[0], -best[1])):
            best = (quality, position, lang)
    return best[2] if best else "en"


@lru_cache(maxsize=len(LANGUAGES))
def catalog(lang: Language) -> gettext.NullTranslations:
    """The compiled catalog of ``lang`` (read once per process)."""
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang])


def has_text(key: str) -> bool:
    """Whether the catalogs define ``key`` (gettext answers an unknown key with the key itself)."""
    return catalog("en").gettext(key) != key


def text(key: str, lang: Language | None = None, /, **fields: object) -> str:
    """The message ``key`` in ``lang`` (default: the locale's), formatted with ``fields``.

    An unknown key is a programming error: KeyError.
    """
    template = catalog(lang or language()).gettext(key)
    if template == key:
        raise KeyError(key)
    return template.format(**fields) if fields else template


def note_text(note: Note | None, fallback: str | None, lang: Language | None = None) -> str | None:
    """A stored note in ``lang`` (``note.<code>`` of the catalogs); rows without a code: ``fallback``."""
    if note is None:
        return fallback
    chosen = catalog(lang or language())
    return render(note, lambda code: chosen.gettext(f"note.{code}"))


def status_word(status: str, lang: Language | None = None) -> str:
    """The localised word for a task status (unknown values are shown as they are)."""
    key = f"status.{status}"
    return text(key, lang) if has_text(key) else status
