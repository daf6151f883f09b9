"""The console's language: zh or en from ``Accept-Language``, texts from the gettext catalogs.

The console's own texts are the domain ``contenthub-console`` beside contenthub-ctl's catalogs
(``texts/locale/<lang>/LC_MESSAGES/``); status words and service errors come from contenthub-ctl's.
"""

from __future__ import annotations

import gettext
from functools import lru_cache

from contenthub_async.texts.messages import LANGUAGES, LOCALE_DIR, Language

DOMAIN = "contenthub-console"


def language_of(accept_language: str | None) -> Language:
    """The first of our languages in an ``Accept-Language`` header by preference (q), else English."""
    ranked: list[tuple[float, int, str]] = []
    for position, entry in enumerate((accept_language or "").split(",")):
        tag, _, params = entry.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().split("-")[0].split("_")[0].lower()
        if quality > 0:
            ranked.append((-quality, position, primary))
    for _, _, primary in sorted(ranked):
        if primary in LANGUAGES:
            return primary
    return "en"


@lru_cache(maxsize=len(LANGUAGES))
def catalog(lang: Language) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang])


def console_text(lang: Language, key: str, /, **fields: object) -> str:
    """The console text ``key`` in ``lang``, formatted with ``fields``; an unknown key is a KeyError."""
    template = catalog(lang).gettext(key)
    if template == key:
        raise KeyError(key)
    return template.format(**fields) if fields else template
