"""Settings from the environment and `.env` (names from the original documents).

Names follow the original documents (``ASYNC_*``, ``CREATOR_*``, ``WEBHOOK_*``);
settings of our own are prefixed ``CONTENTHUB_``. An invalid value fails at start
with :class:`ConfigError`, whose message names the variable.

Original spellings: ``ASYNC_ENABLED`` (the rollback switch of the execution plan) is the same
switch as ``ASYNC_CONTENT_GENERATION_ENABLED``; when both are set, processing runs only if
both are true (a switch meant to stop work is never overridden by the other spelling).
``ASYNC_WORKER_COUNT``, ``TASK_QUEUE_TYPE`` and ``REDIS_*`` have no meaning here (the task
table is the queue): :func:`unused_settings` names them so contenthubd can say so at start.

Every ``contenthub-ctl`` command reads (and checks) all settings at start, so this module uses
the standard library only: a validation framework would cost more than the command itself.
Values are read the way pydantic's lax mode reads them (``"1_000"`` and ``" 5 "`` are 1000 and
5, booleans are ``true/false/yes/no/on/off/1/0/t/f/y/n`` in any case), and a refusal
carries pydantic's error type and context (``greater_than_equal``, ``{"ge": 1}``), which the
CLI words in the operator's language (``texts/validation.py``).
"""

import json
import math
import os
import re
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from contenthub_async.domain.vocabulary import CreatorMode

ENV_FILE = ".env"

# Upper bounds of durations (seconds): far beyond any sensible value, and below what date
# arithmetic can hold (a duration of 1e300 seconds would overflow every deadline computed from it).
HOUR = 3600
DAY = 24 * HOUR
WEEK = 7 * DAY

#: Settings of the original documents that mean nothing here: the table is the queue.
UNUSED_SETTINGS = ("ASYNC_WORKER_COUNT", "TASK_QUEUE_TYPE")
UNUSED_PREFIXES = ("REDIS_",)


class ConfigError(ValueError):
    """A setting is invalid; the message names the environment variable.

    ``name``: the variable; ``kind`` and ``context``: the error type and its context in
    pydantic's vocabulary (so a program can word the reason in its own language); ``reason``:
    the English wording.
    """

    def __init__(self, name: str, kind: str, reason: str, context: Mapping[str, Any] | None = None) -> None:
        self.name = name
        self.kind = kind
        self.reason = reason
        self.context = dict(context or {})
        super().__init__(f"invalid setting {name}: {reason}")


class Invalid(ValueError):
    """A value a setting refuses: ``kind``, an English ``template`` formatted with ``context``."""

    def __init__(self, kind: str, template: str, context: Mapping[str, Any] | None = None) -> None:
        self.kind = kind
        self.context = dict(context or {})
        self.reason = template.format(**{k: _shown(v) for k, v in self.context.items()})
        super().__init__(self.reason)


def setting(default: Any = None, *, gt: float | None = None, ge: float | None = None, le: float | None = None,
            max_length: int | None = None, factory: Callable[[], Any] | None = None) -> Any:
    """A setting's default and bounds."""
    bounds = {"gt": gt, "ge": ge, "le": le, "max_length": max_length}
    metadata = {k: v for k, v in bounds.items() if v is not None}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass
class Settings:
    """Every setting, checked (defaults included) by :func:`load_settings`, in this order."""

    DATABASE_URL: str = "sqlite:///data/contenthub.db"

    ASYNC_CONTENT_GENERATION_ENABLED: bool = True
    ASYNC_ENABLED: bool | None = None  # the original documents' name of the same switch
    ASYNC_MAX_CONCURRENT_TASKS: int = setting(5, ge=1, le=1000)
    ASYNC_TASK_TIMEOUT: float = setting(1800, gt=0, le=WEEK)
    ASYNC_POLL_INTERVAL: float = setting(30, gt=0, le=HOUR)
    ASYNC_AUTO_APPROVE: bool = True
    ASYNC_AUTO_ADD_TO_POOL: bool = True  # approved articles go to the publish pool
    ASYNC_MAX_RETRIES: int = setting(3, ge=0, le=100)
    ASYNC_RETRY_BACKOFF: float = setting(30, ge=0, le=DAY)

    CREATOR_CLI_PATH: str = "content-creator"
    CREATOR_MODE: CreatorMode = CreatorMode.ASYNC  # async: content-creator's queue; sync: one process per task
    CREATOR_WORKDIR: str | None = None

    WEBHOOK_ENABLED: bool = False
    WEBHOOK_URL: str | None = None  # required when WEBHOOK_ENABLED
    WEBHOOK_TIMEOUT: float = setting(10, gt=0, le=HOUR)
    WEBHOOK_SECRET_KEY: str | None = None  # one key, or several separated by spaces (rotation)

    # Our own.
    CONTENTHUB_RETRY_BACKOFF_MAX: float = setting(3600, gt=0, le=WEEK)
    CONTENTHUB_CREATOR_CALL_TIMEOUT: float = setting(120, gt=0, le=DAY)
    CONTENTHUB_CREATOR_MAX_PROCESSES: int = setting(4, ge=1, le=256)
    CONTENTHUB_CREATOR_LIST_LIMIT: int = setting(200, ge=1, le=100_000)
    CONTENTHUB_CREATOR_ENV: dict[str, str] = setting(factory=dict)  # JSON in the environment
    CONTENTHUB_LEASE_SECONDS: float = setting(300, gt=0, le=DAY)
    CONTENTHUB_HEARTBEAT_INTERVAL: float = setting(10, gt=0, le=HOUR)
    CONTENTHUB_JANITOR_INTERVAL: float = setting(5, gt=0, le=HOUR)
    CONTENTHUB_HOST_ID: str = setting("", max_length=200)  # blank: /etc/machine-id, else the hostname
    CONTENTHUB_SHUTDOWN_GRACE: float = setting(30, ge=0, le=HOUR)
    CONTENTHUB_WAKEUP_INTERVAL: float = setting(0.1, gt=0, le=5)
    CONTENTHUB_WEBHOOK_EVENTS: str | None = None  # comma-separated event types (empty: all)
    CONTENTHUB_WEBHOOK_ALLOW_PRIVATE: bool = False  # callback URLs may reach private addresses
    CONTENTHUB_WEBHOOK_CONCURRENCY: int = setting(8, ge=1, le=256)
    CONTENTHUB_WEBHOOK_RETRY_BASE: float = setting(10, gt=0)  # first retry after about this long
    CONTENTHUB_WEBHOOK_RETRY_HORIZON: float = setting(86400, gt=0)  # then dead
    CONTENTHUB_LOG_LEVEL: str = "info"

    # Publishing (docs/publishing.md).
    CONTENTHUB_PUBLISHER: str = "dir:data/published"  # accounts without a publisher of their own
    CONTENTHUB_PUBLISH_CONCURRENCY: int = setting(2, ge=1, le=100)  # publish calls at once, per daemon
    CONTENTHUB_PUBLISH_MAX_ATTEMPTS: int = setting(3, ge=1, le=100)
    CONTENTHUB_PUBLISH_BACKOFF: float = setting(30, ge=0, le=DAY)  # base of the exponential backoff, seconds
    CONTENTHUB_PUBLISH_TIMEOUT: float = setting(60, gt=0, le=DAY)  # one publish call (exec:, http:)
    PUBLISHER_API_KEY: str | None = None  # Bearer token of the content-publisher service
    CONTENTHUB_LOG_FORMAT: str = "auto"
    CONTENTHUB_LOG_FILE: str | None = None  # also log to this file, rotated (for hosts without journald)
    # The HTTP API of contenthubd (docs/api.md): host:port, or empty for none.
    CONTENTHUB_HTTP_LISTEN: str = "127.0.0.1:18010"
    CONTENTHUB_API_TOKEN: str | None = None


SETTING_NAMES = frozenset(f.name for f in fields(Settings))


# ---------------------------------------------------------------- reading a value of a type


def _shown(value: Any) -> Any:
    """A bound as pydantic words it (3600.0 → 3600)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


_INTEGER = re.compile(r"[+-]?[0-9]+(?:_[0-9]+)*(?:\.0*)?")
_TRUE = frozenset(("1", "on", "t", "true", "y", "yes"))
_FALSE = frozenset(("0", "off", "f", "false", "n", "no"))


def _text(value: Any) -> Any:
    """Bytes are read as UTF-8 text, as pydantic does."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _string(value: Any) -> str:
    value = _text(value)
    if not isinstance(value, str):
        raise Invalid("string_type", "Input should be a valid string")
    return str.__str__(value)


def _boolean(value: Any) -> bool:
    value = _text(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    if isinstance(value, str | int):
        raise Invalid("bool_parsing", "Input should be a valid boolean, unable to interpret input")
    raise Invalid("bool_type", "Input should be a valid boolean")


def _integer(value: Any) -> int:
    value = _text(value)
    if isinstance(value, bool | int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Invalid("finite_number", "Input should be a finite number")
        if not value.is_integer():
            raise Invalid("int_from_float", "Input should be a valid integer, got a number with a fractional part")
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if not _INTEGER.fullmatch(text):
            raise Invalid("int_parsing", "Input should be a valid integer, unable to parse string as an integer")
        return int(text.partition(".")[0])
    raise Invalid("int_type", "Input should be a valid integer")


def _number(value: Any) -> float:
    value = _text(value)
    if isinstance(value, bool | int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            if not text.isascii():
                raise ValueError(text)
            return float(text)
        except ValueError:
            raise Invalid("float_parsing", "Input should be a valid number, unable to parse string as a number") from None
    raise Invalid("float_type", "Input should be a valid number")


class _InvalidItem(Invalid):
    """A refused item of a mapping: the error names the setting and the item's key."""

    def __init__(self, key: str, refused: Invalid) -> None:
        super().__init__(refused.kind, refused.reason)
        self.key = key


def _mapping(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise Invalid("dict_type", "Input should be a valid dictionary")
    for key, item in value.items():
        try:
            _string(item)
        except Invalid as refused:
            raise _InvalidItem(str(key), refused) from None
    return dict(value)


_READERS: dict[Any, Callable[[Any], Any]] = {
    str: _string, bool: _boolean, int: _integer, float: _number, dict[str, str]: _mapping, CreatorMode: CreatorMode,
}


def _bounded(value: Any, bounds: Mapping[str, Any], number: bool) -> Any:
    """The bounds checks in pydantic's order (``le`` first, so NaN fails as too large)."""
    bound = (lambda b: float(b)) if number else (lambda b: b)
    if "le" in bounds and not value <= bounds["le"]:
        raise Invalid("less_than_equal", "Input should be less than or equal to {le}", {"le": bound(bounds["le"])})
    if "ge" in bounds and not value >= bounds["ge"]:
        raise Invalid("greater_than_equal", "Input should be greater than or equal to {ge}", {"ge": bound(bounds["ge"])})
    if "gt" in bounds and not value > bounds["gt"]:
        raise Invalid("greater_than", "Input should be greater than {gt}", {"gt": bound(bounds["gt"])})
    if "max_length" in bounds and len(value) > bounds["max_length"]:
        raise Invalid("string_too_long", "String should have at most {max_length} characters",
                      {"max_length": bounds["max_length"]})
    return value


# ---------------------------------------------------------------- rules of particular settings


def listen_address(value: str) -> tuple[str, int]:
    """``127.0.0.1:18010``, ``[::1]:18010``, ``localhost:18010`` → (host, port)."""
    host, sep, port = value.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise Invalid("listen_address", "must be host:port (e.g. 127.0.0.1:18010), or empty")
    return host, int(port)


def is_http_url(value: str) -> bool:
    """An absolute http:// or https:// URL with a host."""
    parts = urlsplit(value)
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _one_of(value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise Invalid("one_of", "must be one of {choices}", {"choices": ", ".join(choices)})
    return value


def _listen(value: str, _: Mapping[str, Any]) -> str:
    value = value.strip()
    if value:
        listen_address(value)
    return value


def _known_backend(value: str, _: Mapping[str, Any]) -> str:
    if not value.startswith(("sqlite:", "sqlite+", "postgresql:", "postgresql+", "postgres:")):
        raise Invalid("database_url", "must start with sqlite:/// or postgresql://")
    return value


def _webhook_url(value: str | None, checked: Mapping[str, Any]) -> str | None:
    if value is None or value == "":
        if checked.get("WEBHOOK_ENABLED"):
            raise Invalid("webhook_url_required", "is required when WEBHOOK_ENABLED is true")
        return None
    if not is_http_url(value):
        raise Invalid("http_url", "must be an http:// or https:// URL")
    return value


def _publisher_spec(value: str, _: Mapping[str, Any]) -> str:
    from contenthub_async.publishers.specs import InvalidSpec, parse_spec

    try:
        return str(parse_spec(value))
    except InvalidSpec:
        raise Invalid("publisher_spec", "must be dir:PATH, exec:COMMAND or an http(s):// URL") from None


def _webhook_keys(value: str | None, _: Mapping[str, Any]) -> str | None:
    from contenthub_async.domain.webhook_signing import SecretKeyError, parse_secret_keys

    try:
        parse_secret_keys(value)
    except SecretKeyError:
        raise Invalid("whsec_key", "a whsec_ key must be followed by base64") from None
    return value or None


def _webhook_events(value: str | None, _: Mapping[str, Any]) -> str | None:
    from contenthub_async.domain.webhook_events import ANNOUNCED_EVENTS, parse_event_filter

    try:
        parse_event_filter(value)
    except ValueError:
        raise Invalid("one_of", "must be one of {choices}", {"choices": ", ".join(ANNOUNCED_EVENTS)}) from None
    return value or None


def _creator_mode(value: Any) -> Any:
    if isinstance(value, str):
        return _one_of(value.strip().lower(), tuple(CreatorMode))
    return value


#: Checks after a value was read as its type; they may normalise it.
_AFTER: dict[str, Callable[[Any, Mapping[str, Any]], Any]] = {
    "DATABASE_URL": _known_backend,
    "WEBHOOK_URL": _webhook_url,
    "WEBHOOK_SECRET_KEY": _webhook_keys,
    "CONTENTHUB_WEBHOOK_EVENTS": _webhook_events,
    "CONTENTHUB_PUBLISHER": _publisher_spec,
    "CONTENTHUB_HTTP_LISTEN": _listen,
    "CONTENTHUB_API_TOKEN": lambda value, _: value or None,
    "CONTENTHUB_LOG_FORMAT": lambda value, _: _one_of(value, ("auto", "json", "console")),
    "CONTENTHUB_LOG_LEVEL": lambda value, _: _one_of(value.lower(), ("debug", "info", "warning", "error")),
}
#: Checks before a value is read as its type.
_BEFORE: dict[str, Callable[[Any], Any]] = {"CREATOR_MODE": _creator_mode}


def _checked(annotation: Any, value: Any, bounds: Mapping[str, Any]) -> Any:
    if isinstance(annotation, types.UnionType):  # X | None
        if value is None:
            return None
        [annotation] = [a for a in annotation.__args__ if a is not type(None)]
    try:
        value = _READERS[annotation](value)
    except Invalid:
        raise
    except ValueError:  # an enum value outside the enum
        raise Invalid("enum", "Input should be {expected}",
                      {"expected": " or ".join(repr(m.value) for m in annotation)}) from None
    if bounds:
        value = _bounded(value, bounds, annotation is float)
    return value


# ---------------------------------------------------------------- loading


def _is_json(annotation: Any) -> bool:
    """A setting whose value is written as JSON (``CONTENTHUB_CREATOR_ENV={"A": "b"}``)."""
    return annotation == dict[str, str]


def environment_values(environ: Mapping[str, str] | None = None, env_file: str | Path = ENV_FILE) -> dict[str, Any]:
    """The settings given in the environment, else in ``env_file`` (names case-sensitive;
    other variables ignored); JSON-valued settings decoded. Raises :class:`ConfigError`
    for a JSON value that does not parse."""
    values: dict[str, Any] = {}
    if Path(env_file).is_file():
        from dotenv import dotenv_values

        values.update((k, v) for k, v in dotenv_values(env_file, encoding="utf-8").items()
                      if k in SETTING_NAMES and v is not None)
    environ = os.environ if environ is None else environ
    values.update((name, environ[name]) for name in SETTING_NAMES if name in environ)
    for f in fields(Settings):
        if f.name in values and _is_json(f.type):
            try:
                values[f.name] = json.loads(values[f.name])
            except ValueError:
                raise ConfigError(f.name, "json_invalid", "not valid JSON") from None
            if values[f.name] is None:  # JSON null: not given
                del values[f.name]
    return values


def load_settings(**overrides: Any) -> Settings:
    """Read settings (``overrides`` first, then the environment, then ``.env``, then the
    defaults); raise ConfigError naming the first bad variable (in the order of :class:`Settings`)."""
    given = {**environment_values(), **{k: v for k, v in overrides.items() if k in SETTING_NAMES}}
    checked: dict[str, Any] = {}
    for f in fields(Settings):
        if f.name in given:
            value = given[f.name]
        else:
            value = f.default_factory() if callable(f.default_factory) else f.default
        try:
            if f.name in _BEFORE:
                value = _BEFORE[f.name](value)
            value = _checked(f.type, value, f.metadata)
            if f.name in _AFTER:
                value = _AFTER[f.name](value, checked)
        except Invalid as refused:
            name = f"{f.name}.{refused.key}" if isinstance(refused, _InvalidItem) else f.name
            raise ConfigError(name, refused.kind, refused.reason, refused.context) from None
        checked[f.name] = value
    settings = Settings(**checked)
    if settings.ASYNC_ENABLED is False:
        settings.ASYNC_CONTENT_GENERATION_ENABLED = False
    return settings


def unused_settings(environ: Mapping[str, str] | None = None, env_file: str | Path = ENV_FILE) -> list[str]:
    """Settings of the original documents set in the environment or ``.env`` that are not used here."""
    from dotenv import dotenv_values

    names = set(os.environ if environ is None else environ)
    if Path(env_file).is_file():
        names |= set(dotenv_values(env_file))
    return sorted(n for n in names if n in UNUSED_SETTINGS or n.startswith(UNUSED_PREFIXES))


@lru_cache(maxsize=1)
def settings() -> Settings:
    """Process-wide settings, read once."""
    return load_settings()

