"""The content-creator adapter: the port and its CLI implementation."""

from contenthub_async.creator.cli import CliCreator
from contenthub_async.creator.port import (
    CreateRequest,
    Creator,
    CreatorError,
    CreatorErrorKind,
    CreatorResult,
    CreatorStatus,
    CreatorTaskState,
)

__all__ = [
    "CliCreator",
    "CreateRequest",
    "Creator",
    "CreatorError",
    "CreatorErrorKind",
    "CreatorResult",
    "CreatorStatus",
    "CreatorTaskState",
]
