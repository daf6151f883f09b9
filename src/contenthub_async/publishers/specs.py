"""Publisher specs as operators write them (``CONTENTHUB_PUBLISHER``, ``account update
--publisher``): ``dir:PATH``, ``exec:COMMAND``, ``http://…`` or ``https://…``. Pure."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

Kind = Literal["dir", "exec", "http"]


class InvalidSpec(ValueError):
    """``reason``: a stable word (``unknown_kind``, ``empty``, ``bad_command``, ``bad_url``)."""

    def __init__(self, spec: str, reason: str) -> None:
        self.spec = spec
        self.reason = reason
        super().__init__(f"invalid publisher {spec!r}: {reason}")


@dataclass(frozen=True)
class PublisherSpec:
    kind: Kind
    target: str  # the directory, the command line, or the base URL
    argv: tuple[str, ...] = ()  # exec: the command split like a shell would, never run by one

    def __str__(self) -> str:
        return self.target if self.kind == "http" else f"{self.kind}:{self.target}"


def parse_spec(spec: str) -> PublisherSpec:
    value = spec.strip()
    lowered = value.lower()
    if lowered.startswith(("http://", "https://")):
        parts = urlsplit(value)
        if not parts.hostname or parts.query or parts.fragment or parts.username or parts.password:
            raise InvalidSpec(spec, "bad_url")
        return PublisherSpec("http", value.rstrip("/"))
    kind, sep, target = value.partition(":")
    target = target.strip()
    if not sep or kind not in ("dir", "exec"):
        raise InvalidSpec(spec, "unknown_kind")
    if not target:
        raise InvalidSpec(spec, "empty")
    if kind == "dir":
        return PublisherSpec("dir", target)
    try:
        argv = tuple(shlex.split(target))
    except ValueError:
        raise InvalidSpec(spec, "bad_command") from None
    if not argv:
        raise InvalidSpec(spec, "empty")
    return PublisherSpec("exec", target, argv)
