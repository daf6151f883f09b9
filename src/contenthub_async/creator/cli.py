"""``CliCreator``: the creator port implemented by running the content-creator CLI.

Every call is one subprocess (never a shell) in its own session, bounded by a
semaphore (the real tool costs ~200 MB and ~2 s per process) and by a timeout
after which the whole process group is killed and reaped. This module logs
nothing; errors carry what the caller needs to log.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from contenthub_async.creator import parsing
from contenthub_async.creator.port import (
    CreateRequest,
    CreatorError,
    CreatorErrorKind,
    CreatorResult,
    CreatorTaskState,
)
from contenthub_async.domain.creator_args import CreatorMode, build_create_argv

__all__ = ["CliCreator"]

_T = TypeVar("_T")
_STDERR_TAIL_CHARS = 2000
_REAP_TIMEOUT = 5.0  # seconds to wait for a killed process group to let go of its pipes


@dataclass(frozen=True)
class _Completed:
    command: str
    returncode: int
    stdout: str
    stderr: str


def _tail(text: str) -> str:
    return parsing.strip_ansi(text)[-_STDERR_TAIL_CHARS:].strip()


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    """SIGKILL the process group led by ``proc`` (it was started in a new session)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        # group already gone (or only a zombie leader left): make sure of the leader
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()


class CliCreator:
    """Runs ``command`` + subcommand arguments for each call of the port."""

    def __init__(
        self,
        command: Sequence[str],
        *,
        workdir: str | None = None,
        extra_env: Mapping[str, str] | None = None,
        call_timeout: float = 120.0,
        max_processes: int = 4,
    ) -> None:
        if isinstance(command, str) or not command or not all(command):
            raise ValueError("command must be a non-empty sequence of non-empty strings")
        if call_timeout <= 0:
            raise ValueError("call_timeout must be positive")
        if max_processes < 1:
            raise ValueError("max_processes must be at least 1")
        self.command: tuple[str, ...] = tuple(command)
        self.workdir = workdir
        self.extra_env: dict[str, str] = dict(extra_env or {})
        self.call_timeout = call_timeout
        self.max_processes = max_processes
        self._slots = asyncio.Semaphore(max_processes)

    @classmethod
    def from_command_line(cls, command_line: str, **kw: object) -> CliCreator:
        """``CREATOR_CLI_PATH`` style: ``"pnpm --dir /opt/content-creator run cli"``."""
        return cls(shlex.split(command_line), **kw)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"CliCreator({shlex.join(self.command)!r}, max_processes={self.max_processes})"

    # -- the port ------------------------------------------------------------

    async def create(self, request: CreateRequest) -> str:
        return await self._call(build_create_argv(request, CreatorMode.ASYNC), parsing.parse_create)

    async def list_recent(self, limit: int) -> list[CreatorTaskState]:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        return await self._call(["list", "--json", f"--limit={limit}"], parsing.parse_list_json)

    async def status(self, creator_task_id: str) -> CreatorTaskState:
        return await self._call(["status", _task_id_arg(creator_task_id)], parsing.parse_status)

    async def result(self, creator_task_id: str) -> CreatorResult:
        return await self._call(["result", _task_id_arg(creator_task_id)], parsing.parse_result)

    async def cancel(self, creator_task_id: str) -> bool:
        return await self._call(["cancel", _task_id_arg(creator_task_id)], parsing.parse_cancel)

    async def version(self) -> str:
        return await self._call(["--version"], parsing.parse_version)

    # -- plumbing ------------------------------------------------------------

    async def _call(self, args: Sequence[str], parse: Callable[[str], _T]) -> _T:
        done = await self._run(args)
        if done.returncode != 0:
            raise self._contextualize(
                parsing.error_from_failure(done.returncode, done.stdout, done.stderr), done
            )
        try:
            return parse(done.stdout)
        except CreatorError as err:
            if err.kind is CreatorErrorKind.UNPARSABLE:
                # rc 0 but no usable output: a known error message beats "unparsable"
                known = parsing.error_from_failure(done.returncode, done.stdout, done.stderr)
                if known.kind is not CreatorErrorKind.EXIT_STATUS:
                    err = known
            raise self._contextualize(err, done) from None

    @staticmethod
    def _contextualize(err: CreatorError, done: _Completed) -> CreatorError:
        err.command = done.command
        err.returncode = done.returncode
        err.stderr_tail = _tail(done.stderr)
        return err

    def _environment(self) -> dict[str, str] | None:
        if not self.extra_env:
            return None  # inherit
        return {**os.environ, **self.extra_env}

    async def _run(self, args: Sequence[str]) -> _Completed:
        argv = [*self.command, *args]
        command = shlex.join(argv)
        async with self._slots:
            proc = await self._spawn(argv, command)
            communicating = asyncio.ensure_future(proc.communicate())
            try:
                finished, _ = await asyncio.wait({communicating}, timeout=self.call_timeout)
            except BaseException:  # cancelled: leave nothing behind
                _kill_group(proc)
                await _reap(communicating)
                raise
            if not finished:
                _kill_group(proc)
                _, stderr = await _reap(communicating)
                raise CreatorError(
                    CreatorErrorKind.TIMEOUT,
                    f"no answer within {self.call_timeout:g} s; process group killed",
                    command=command,
                    returncode=proc.returncode,
                    stderr_tail=_tail(stderr),
                )
            stdout_b, stderr_b = communicating.result()
            assert proc.returncode is not None
            return _Completed(
                command,
                proc.returncode,
                stdout_b.decode("utf-8", errors="replace"),
                stderr_b.decode("utf-8", errors="replace"),
            )

    async def _spawn(self, argv: list[str], command: str) -> asyncio.subprocess.Process:
        spawning = asyncio.ensure_future(
            asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                cwd=self.workdir,
                env=self._environment(),
                start_new_session=True,
            )
        )
        try:
            return await asyncio.shield(spawning)
        except asyncio.CancelledError:
            # cancelled while the process was being started: kill it once it exists
            spawning.add_done_callback(_kill_if_spawned)
            raise
        except (FileNotFoundError, PermissionError, NotADirectoryError) as e:
            if self.workdir is not None and not os.path.isdir(self.workdir):
                what = f"working directory {self.workdir!r} of content-creator does not exist"
            else:
                what = f"cannot start content-creator command {argv[0]!r}: {e.strerror or e}"
            raise CreatorError(CreatorErrorKind.NOT_FOUND, what, command=command) from e
        except OSError as e:  # e.g. out of processes or memory: may pass
            raise CreatorError(
                CreatorErrorKind.EXIT_STATUS,
                f"cannot start content-creator command {argv[0]!r}: {e}",
                command=command,
            ) from e


async def _reap(communicating: asyncio.Future[tuple[bytes, bytes]]) -> tuple[str, str]:
    """Wait for a killed process to exit and close its pipes; returns partial output."""
    try:
        stdout_b, stderr_b = await asyncio.wait_for(asyncio.shield(communicating), _REAP_TIMEOUT)
    except TimeoutError:
        # pipes held open by something outside the killed process group; the
        # process itself is dead (SIGKILL) and asyncio's child watcher reaps it
        communicating.cancel()
        return "", ""
    return (
        stdout_b.decode("utf-8", errors="replace"),
        stderr_b.decode("utf-8", errors="replace"),
    )


def _kill_if_spawned(spawning: asyncio.Future[asyncio.subprocess.Process]) -> None:
    if spawning.cancelled() or spawning.exception() is not None:
        return
    _kill_group(spawning.result())


def _task_id_arg(creator_task_id: str) -> str:
    if not creator_task_id or not creator_task_id.strip():
        raise ValueError("creator_task_id must not be empty")
    return f"--task-id={creator_task_id.strip()}"
