"""cyclopts' command-line errors in the operator's language.

cyclopts raises one exception class per kind of mistake and documents what each carries (the
offending ``token``, the ``argument`` it was meant for, ``unused_tokens``, ``target_type``).
This module turns the common ones into catalog messages built from those attributes; a kind
not listed here keeps cyclopts' own (English) sentence under a localised prefix.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any, Literal, get_args, get_origin

from cyclopts import CycloptsError
from cyclopts.exceptions import (
    CoercionError,
    MissingArgumentError,
    RepeatArgumentError,
    UnknownCommandError,
    UnknownOptionError,
    UnusedCliTokensError,
)

from contenthub_async.texts.messages import text


def _suggestion(word: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return text("parse.did_you_mean", name=close[0]) if close else ""


def _display_name(exc: CycloptsError) -> str:
    """The option as the operator typed it (``-a``), else its long name (``--account-id``, ``TASK_ID``)."""
    keyword = getattr(exc, "keyword", None)
    if keyword:
        return str(keyword)
    token = getattr(exc, "token", None)
    if token is not None and token.keyword:
        return str(token.keyword)
    if exc.argument is not None:
        return str(exc.argument.name)
    return "?"


def _expected(target_type: Any) -> str:
    if get_origin(target_type) is Literal:
        return text("parse.expected_choice", choices=", ".join(str(choice) for choice in get_args(target_type)))
    if target_type is bool:
        return text("parse.expected_bool")
    if target_type is int:
        return text("parse.expected_int")
    if target_type is float:
        return text("parse.expected_number")
    return text("parse.expected_other", type=getattr(target_type, "__name__", str(target_type)))


def describe_parse_error(exc: CycloptsError) -> str:
    """One sentence for ``exc`` in the operator's language."""
    if isinstance(exc, UnknownCommandError) and exc.unused_tokens:
        word = exc.unused_tokens[0]
        commands = [name for name in (exc.app or []) if not name.startswith("-")]
        return text("parse.unknown_command", command=word, suggestion=_suggestion(word, commands),
                    commands=", ".join(commands))
    if isinstance(exc, UnknownOptionError):
        option = exc.token.keyword or exc.token.value
        names = [name for argument in exc.argument_collection if argument.parse for name in argument.names]
        return text("parse.unknown_option", option=option, suggestion=_suggestion(option, names))
    if isinstance(exc, MissingArgumentError) and type(exc) is MissingArgumentError and exc.argument is not None:
        count, _ = exc.argument.token_count()
        if count == 1:
            given = exc.keyword is not None or any(t.keyword for t in exc.argument.tokens)
            return text("parse.needs_value" if given else "parse.missing", option=_display_name(exc))
    if isinstance(exc, CoercionError) and exc.token is not None and exc.target_type is not None:
        return text("parse.bad_value", option=_display_name(exc), value=exc.token.value,
                    expected=_expected(exc.target_type))
    if isinstance(exc, RepeatArgumentError):
        return text("parse.repeated", option=_display_name(exc))
    if isinstance(exc, UnusedCliTokensError) and exc.unused_tokens:
        return text("parse.unused", tokens=" ".join(exc.unused_tokens))
    return text("parse.other", detail=str(exc).strip())
