"""Settings from the environment and `.env` (names from the original documents).

Names follow the original documents (``ASYNC_*``, ``CREATOR_*``, ``WEBHOOK_*``);
settings of our own are prefixed ``CONTENTHUB_``. An invalid value fails at start
with :class:`ConfigError`, whose message names the variable.

Original spellings: ``ASYNC_ENABLED`` (the rollback switch of the execution plan) is the same
switch as ``ASYNC_CONTENT_GENERATION_ENABLED``; when both are set, processing runs only if
both are true (a switch meant to stop work is never overridden by the other spelling).
``ASYNC_WORKER_COUNT``, ``TASK_QUEUE_TYPE`` and ``REDIS_*`` have no meaning here (the task
table is the queue): :func:`unused_settings` names them so contenthubd can say so at start.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

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

    ``name``: the variable; ``kind`` and ``context``: pydantic's error type and its context (so a
    program can word the reason in its own language); ``reason``: pydantic's English wording.
    """

    def __init__(self, name: str, kind: str, reason: str, context: Mapping[str, Any] | None = None) -> None:
        self.name = name
        self.kind = kind
        self.reason = reason
        self.context = dict(context or {})
        super().__init__(f"invalid setting {name}: {reason}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=ENV_FILE,
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=True,
        populate_by_name=False,
    )

    DATABASE_URL: str = "sqlite:///data/contenthub.db"

    ASYNC_CONTENT_GENERATION_ENABLED: bool = True
    ASYNC_ENABLED: bool | None = None  # the original documents' name of the same switch
    ASYNC_MAX_CONCURRENT_TASKS: int = Field(5, ge=1, le=1000)
    ASYNC_TASK_TIMEOUT: float = Field(1800, gt=0, le=WEEK)
    ASYNC_POLL_INTERVAL: float = Field(30, gt=0, le=HOUR)
    ASYNC_AUTO_APPROVE: bool = True
    ASYNC_AUTO_ADD_TO_POOL: bool = True  # approved articles go to the publish pool
    ASYNC_MAX_RETRIES: int = Field(3, ge=0, le=100)
    ASYNC_RETRY_BACKOFF: float = Field(30, ge=0, le=DAY)

    CREATOR_CLI_PATH: str = "content-creator"
    CREATOR_MODE: CreatorMode = CreatorMode.ASYNC  # async: content-creator's queue; sync: one process per task
    CREATOR_WORKDIR: str | None = None

    WEBHOOK_ENABLED: bool = False
    WEBHOOK_URL: str | None = Field(None, validate_default=True)  # required when WEBHOOK_ENABLED
    WEBHOOK_TIMEOUT: float = Field(10, gt=0, le=HOUR)
    WEBHOOK_SECRET_KEY: str | None = None  # one key, or several separated by spaces (rotation)

    # Our own.
    CONTENTHUB_RETRY_BACKOFF_MAX: float = Field(3600, gt=0, le=WEEK)
    CONTENTHUB_CREATOR_CALL_TIMEOUT: float = Field(120, gt=0, le=DAY)
    CONTENTHUB_CREATOR_MAX_PROCESSES: int = Field(4, ge=1, le=256)
    CONTENTHUB_CREATOR_LIST_LIMIT: int = Field(200, ge=1, le=100_000)
    CONTENTHUB_CREATOR_ENV: dict[str, str] = Field(default_factory=dict)
    CONTENTHUB_LEASE_SECONDS: float = Field(300, gt=0, le=DAY)
    CONTENTHUB_HEARTBEAT_INTERVAL: float = Field(10, gt=0, le=HOUR)
    CONTENTHUB_JANITOR_INTERVAL: float = Field(5, gt=0, le=HOUR)
    CONTENTHUB_HOST_ID: str = Field("", max_length=200)  # blank: /etc/machine-id, else the hostname
    CONTENTHUB_SHUTDOWN_GRACE: float = Field(30, ge=0, le=HOUR)
    CONTENTHUB_WAKEUP_INTERVAL: float = Field(0.1, gt=0, le=5)
    CONTENTHUB_WEBHOOK_EVENTS: str | None = None  # comma-separated event types (empty: all)
    CONTENTHUB_WEBHOOK_ALLOW_PRIVATE: bool = False  # callback URLs may reach private addresses
    CONTENTHUB_WEBHOOK_CONCURRENCY: int = Field(8, ge=1, le=256)
    CONTENTHUB_WEBHOOK_RETRY_BASE: float = Field(10, gt=0)  # first retry after about this long
    CONTENTHUB_WEBHOOK_RETRY_HORIZON: float = Field(86400, gt=0)  # then dead
    CONTENTHUB_LOG_LEVEL: str = "info"

    # Publishing (docs/publishing.md).
    CONTENTHUB_PUBLISHER: str = "dir:data/published"  # accounts without a publisher of their own
    CONTENTHUB_PUBLISH_CONCURRENCY: int = Field(2, ge=1, le=100)  # publish calls at once, per daemon
    CONTENTHUB_PUBLISH_MAX_ATTEMPTS: int = Field(3, ge=1, le=100)
    CONTENTHUB_PUBLISH_BACKOFF: float = Field(30, ge=0, le=DAY)  # base of the exponential backoff, seconds
    CONTENTHUB_PUBLISH_TIMEOUT: float = Field(60, gt=0, le=DAY)  # one publish call (exec:, http:)
    PUBLISHER_API_KEY: str | None = None  # Bearer token of the content-publisher service
    CONTENTHUB_LOG_FORMAT: str = "auto"
    CONTENTHUB_LOG_FILE: str | None = None  # also log to this file, rotated (for hosts without journald)
    # The HTTP API of contenthubd (docs/api.md): host:port, or empty for none.
    CONTENTHUB_HTTP_LISTEN: str = "127.0.0.1:18010"
    CONTENTHUB_API_TOKEN: str | None = None

    @field_validator("CONTENTHUB_HTTP_LISTEN")
    @classmethod
    def _listen(cls, value: str) -> str:
        value = value.strip()
        if value:
            listen_address(value)
        return value

    @field_validator("CONTENTHUB_API_TOKEN")
    @classmethod
    def _token(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("DATABASE_URL")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "sqlite+", "postgresql:", "postgresql+", "postgres:")):
            raise PydanticCustomError("database_url", "must start with sqlite:/// or postgresql://", {})
        return value

    @field_validator("WEBHOOK_URL")
    @classmethod
    def _webhook_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or value == "":
            if info.data.get("WEBHOOK_ENABLED"):
                raise PydanticCustomError("webhook_url_required", "is required when WEBHOOK_ENABLED is true", {})
            return None
        if not is_http_url(value):
            raise PydanticCustomError("http_url", "must be an http:// or https:// URL", {})
        return value

    @field_validator("CONTENTHUB_PUBLISHER")
    @classmethod
    def _publisher_spec(cls, value: str) -> str:
        from contenthub_async.publishers.specs import InvalidSpec, parse_spec

        try:
            return str(parse_spec(value))
        except InvalidSpec:
            raise PydanticCustomError("publisher_spec", "must be dir:PATH, exec:COMMAND or an http(s):// URL", {}) from None

    @field_validator("WEBHOOK_SECRET_KEY")
    @classmethod
    def _webhook_keys(cls, value: str | None) -> str | None:
        from contenthub_async.domain.webhook_signing import SecretKeyError, parse_secret_keys

        try:
            parse_secret_keys(value)
        except SecretKeyError:
            raise PydanticCustomError("whsec_key", "a whsec_ key must be followed by base64", {}) from None
        return value or None

    @field_validator("CONTENTHUB_WEBHOOK_EVENTS")
    @classmethod
    def _webhook_events(cls, value: str | None) -> str | None:
        from contenthub_async.domain.webhook_events import ANNOUNCED_EVENTS, parse_event_filter

        try:
            parse_event_filter(value)
        except ValueError:
            raise PydanticCustomError(
                "one_of", "must be one of {choices}", {"choices": ", ".join(ANNOUNCED_EVENTS)}
            ) from None
        return value or None

    @model_validator(mode="after")
    def _one_switch(self) -> Settings:
        if self.ASYNC_ENABLED is False:
            self.ASYNC_CONTENT_GENERATION_ENABLED = False
        return self

    @field_validator("CREATOR_MODE", mode="before")
    @classmethod
    def _creator_mode(cls, value: object) -> object:
        if isinstance(value, str):
            return _one_of(value.strip().lower(), tuple(CreatorMode))
        return value

    @field_validator("CONTENTHUB_LOG_FORMAT")
    @classmethod
    def _log_format(cls, value: str) -> str:
        return _one_of(value, ("auto", "json", "console"))

    @field_validator("CONTENTHUB_LOG_LEVEL")
    @classmethod
    def _log_level(cls, value: str) -> str:
        return _one_of(value.lower(), ("debug", "info", "warning", "error"))


def listen_address(value: str) -> tuple[str, int]:
    """``127.0.0.1:18010``, ``[::1]:18010``, ``localhost:18010`` → (host, port)."""
    host, sep, port = value.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise PydanticCustomError("listen_address", "must be host:port (e.g. 127.0.0.1:18010), or empty", {})
    return host, int(port)


def is_http_url(value: str) -> bool:
    """An absolute http:// or https:// URL with a host."""
    parts = urlsplit(value)
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _one_of(value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise PydanticCustomError("one_of", "must be one of {choices}", {"choices": ", ".join(choices)})
    return value


def load_settings(**overrides: Any) -> Settings:
    """Read settings; raise ConfigError naming the first bad variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(part) for part in first["loc"]) or "settings"
        raise ConfigError(name, first["type"], first["msg"], first.get("ctx")) from None
    except SettingsError as exc:  # a complex value (e.g. a JSON object) that does not parse
        match = re.search(r'field "(\w+)"', str(exc))
        name = match.group(1) if match else "settings"
        raise ConfigError(name, "json_invalid", "not valid JSON") from None


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
