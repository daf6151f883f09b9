"""pydantic's validation errors (settings, scheduler ``--params``) in the operator's language.

pydantic documents that an error's ``type`` and ``ctx`` identify it and carry its values, and
that custom wording is built from them; each known ``type`` is a catalog key ``pydantic.<type>``
formatted with ``ctx``. An unknown type keeps pydantic's English ``msg``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contenthub_async.texts.messages import has_text, text


def validation_text(kind: str, context: Mapping[str, Any], fallback: str) -> str:
    key = f"pydantic.{kind}"
    if not has_text(key):
        return fallback
    try:
        return text(key, **{name: value for name, value in context.items() if isinstance(name, str)})
    except (KeyError, IndexError):
        return fallback
