"""``CliCreator``: the creator port implemented by running the content-creator CLI.

Every call is one subprocess (never a shell) in its own session, bounded by a
semaphore (the real tool costs ~200 MB and ~2 s per process) and by a timeout
after which the whole process group is killed and reaped. This module logs
nothing; errors carry what the caller needs to log.

``generate`` (sync mode) holds one process for a whole generation, so it runs the
command under the creator guard (``creator/guard.py``): the guard leads the
process group and stops it when asked, or when this process dies, even of
SIGKILL. A stop is SIGTERM to the guard, which sends SIGTERM to the group and
SIGKILL after ``kill_grace`` seconds; this side sends SIGKILL to the group itself
if the guard has not finished by then.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import shutil
import signal
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio

from contenthub_async import telemetry
from contenthub_async.creator import guard, parsing
from contenthub_async.creator.port import (
    CreateRequest,
    CreatorError,
    CreatorErrorKind,
    CreatorResult,
    CreatorTaskState,
)
from contenthub_async.domain.creator_args import build_create_argv
from contenthub_async.domain.notes import Note
from contenthub_async.domain.vocabulary import CreatorMode

__all__ = ["CliCreator"]

_T = TypeVar("_T")
_STDERR_TAIL_CHARS = 2000
_REAP_TIMEOUT = 5.0  # seconds to wait for a killed process group to let go of its pipes
_GUARD_SLACK = 2.0  # seconds past the grace after which this side kills the group itself


@dataclass(frozen=True)
class _Completed:
    command: str
    returncode: int
    stdout: str
    stderr: str

    @classmethod
    def decode(cls, command: str, returncode: int, stdout: bytes, stderr: bytes) -> _Completed:
        return cls(command, returncode, stdout.decode("utf-8", errors="replace"), stderr.decode("utf-8", errors="replace"))


def _timed(args: Sequence[str]) -> Any:
    """Times one call into ``contenthub_creator_call_duration_seconds`` by its subcommand."""
    return telemetry.CREATOR_CALL_SECONDS.labels(args[0] if args else "").time()


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
        kill_grace: float = 5.0,
    ) -> None:
        """``call_timeout`` bounds each short call (not ``generate``); ``max_processes``
        bounds the creator processes running at once, ``generate``'s included;
        ``kill_grace`` is the time between SIGTERM and SIGKILL when ``generate`` stops."""
        if isinstance(command, str) or not command or not all(command):
            raise ValueError("command must be a non-empty sequence of non-empty strings")
        if call_timeout <= 0:
            raise ValueError("call_timeout must be positive")
        if max_processes < 1:
            raise ValueError("max_processes must be at least 1")
        if not kill_grace >= 0:
            raise ValueError("kill_grace must be zero or positive")
        self.command: tuple[str, ...] = tuple(command)
        self.workdir = workdir
        self.extra_env: dict[str, str] = dict(extra_env or {})
        self.call_timeout = call_timeout
        self.max_processes = max_processes
        self.kill_grace = kill_grace
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

    async def generate(self, request: CreateRequest, *, deadline: float | None = None) -> CreatorResult:
        done = await self._run_guarded(build_create_argv(request, CreatorMode.SYNC), deadline)
        try:
            return parsing.parse_generate(done.stdout)  # the status line decides, not the rc
        except CreatorError as err:
            if err.kind is CreatorErrorKind.UNPARSABLE:
                known = parsing.error_from_failure(done.returncode, done.stdout, done.stderr)
                if done.returncode != 0 or known.kind is not CreatorErrorKind.EXIT_STATUS:
                    err = known
            raise self._contextualize(err, done) from None

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

    def start_problem(self) -> str | None:
        """Why the command cannot be started at all (None: it can, as far as can be told without
        running it): a missing working directory, or an executable that is not there."""
        if self.workdir is not None and not os.path.isdir(self.workdir):
            return f"working directory {self.workdir!r} (CREATOR_WORKDIR) does not exist"
        program = self.command[0]
        path = (self._environment() or os.environ).get("PATH", os.defpath)
        if os.sep in program:
            where = os.path.join(self.workdir or os.getcwd(), program)
            found = where if os.path.isfile(where) and os.access(where, os.X_OK) else None
        else:
            found = shutil.which(program, path=path)
        if found is None:
            return f"command {program!r} (CREATOR_CLI_PATH) is not an executable file here or on PATH"
        return None

    def _environment(self) -> dict[str, str] | None:
        if not self.extra_env:
            return None  # inherit
        return {**os.environ, **self.extra_env}

    async def _run(self, args: Sequence[str]) -> _Completed:
        argv = [*self.command, *args]
        command = shlex.join(argv)
        async with self._slots:
            with _timed(args):
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
                        note=Note("creator.no_answer", {"seconds": self.call_timeout}),
                        command=command,
                        returncode=proc.returncode,
                        stderr_tail=_tail(stderr),
                    )
                stdout_b, stderr_b = communicating.result()
                assert proc.returncode is not None
                return _Completed.decode(command, proc.returncode, stdout_b, stderr_b)

    async def _run_guarded(self, args: Sequence[str], deadline: float | None) -> _Completed:
        """Run the command under the guard until it ends, the deadline passes or we are cancelled."""
        argv = [*self.command, *args]
        command = shlex.join(argv)
        try:
            async with asyncio.timeout_at(deadline):
                await self._slots.acquire()
        except TimeoutError:
            raise CreatorError(
                CreatorErrorKind.TIMEOUT, "no creator process slot was free before the deadline", command=command,
                note=Note("creator.no_slot"),
            ) from None
        try:
            with _timed(args):
                # stdin is the guard's lifeline: held open here, never written, closed by our death
                proc = await self._spawn(guard.guard_argv(self.kill_grace, argv), command, lifeline=True)
                output = asyncio.ensure_future(_read_output(proc))
                try:
                    timeout = None if deadline is None else max(0.0, deadline - asyncio.get_running_loop().time())
                    finished, _ = await asyncio.wait({output}, timeout=timeout)
                except BaseException:  # cancelled: stop the group before the cancellation goes on
                    await self._stop(proc, output)
                    raise
                if not finished:
                    _, stderr = await self._stop(proc, output)
                    raise CreatorError(
                        CreatorErrorKind.TIMEOUT,
                        "the generation had not ended by its deadline; process group stopped",
                        note=Note("creator.deadline"),
                        command=command,
                        returncode=proc.returncode,
                        stderr_tail=_tail(stderr),
                    )
                # the pipes reached end of file, so the guard (which holds them) has exited
                stdout_b, stderr_b = output.result()
                _kill_group(proc)  # whatever the command left behind and the guard's SIGTERM did not end
                assert proc.stdin is not None
                proc.stdin.close()
                await proc.wait()  # prompt: the pipes are closed and the guard has exited
        finally:
            self._slots.release()
        assert proc.returncode is not None
        done = _Completed.decode(command, proc.returncode, stdout_b, stderr_b)
        if proc.returncode in (126, 127) and done.stderr.startswith(guard.CANNOT_START):
            reason = done.stderr.strip().rsplit(": ", 1)[-1]
            raise CreatorError(
                CreatorErrorKind.NOT_FOUND, f"cannot start content-creator command {argv[0]!r}: {reason}", command=command,
                note=Note("creator.cannot_start", {"command": argv[0], "reason": reason}),
            )
        return done

    async def _stop(self, proc: asyncio.subprocess.Process, output: asyncio.Future[tuple[bytes, bytes]]) -> tuple[str, str]:
        """Stop the guarded group and reap it, to the end even while the caller is being
        cancelled (once by asyncio, or again and again by an anyio cancel scope)."""
        with anyio.CancelScope(shield=True):
            partial = await asyncio.shield(asyncio.ensure_future(self._stop_group(proc, output)))
        return partial

    async def _stop_group(
        self, proc: asyncio.subprocess.Process, output: asyncio.Future[tuple[bytes, bytes]]
    ) -> tuple[str, str]:
        """Have the guard stop its group (TERM, grace, KILL), make sure of it, reap; partial output."""
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(output), self.kill_grace + _GUARD_SLACK)
        _kill_group(proc)
        stdout, stderr = await _reap(output)
        assert proc.stdin is not None
        proc.stdin.close()
        with contextlib.suppress(TimeoutError):  # waits for the pipes too: bounded, as in _reap
            await asyncio.wait_for(proc.wait(), _REAP_TIMEOUT)
        return stdout, stderr

    async def _spawn(self, argv: list[str], command: str, *, lifeline: bool = False) -> asyncio.subprocess.Process:
        spawning = asyncio.ensure_future(
            asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE if lifeline else asyncio.subprocess.DEVNULL,
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
            # Cancelled while the process was being started (it may already run, with children):
            # let the start finish, stop the group and reap it before the cancellation goes on.
            # Left pending, the start would keep the loop from closing: its pipes stay open as
            # long as the command runs.
            await _stop_started(spawning)
            raise
        except (FileNotFoundError, PermissionError, NotADirectoryError) as e:
            if self.workdir is not None and not os.path.isdir(self.workdir):
                note = Note("creator.no_workdir", {"workdir": str(self.workdir)})
            else:
                note = Note("creator.cannot_start", {"command": argv[0], "reason": str(e.strerror or e)})
            raise CreatorError(CreatorErrorKind.NOT_FOUND, note.english(), command=command, note=note) from e
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


async def _read_output(proc: asyncio.subprocess.Process) -> tuple[bytes, bytes]:
    """Everything on stdout and stderr, until both reach end of file."""
    assert proc.stdout is not None and proc.stderr is not None
    stdout, stderr = await asyncio.gather(proc.stdout.read(), proc.stderr.read())
    return stdout, stderr


async def _stop_started(spawning: asyncio.Future[asyncio.subprocess.Process]) -> None:
    """Kill the group of a process whose start was interrupted, once started, and reap it (to
    the end even while the caller is cancelled again; bounded)."""
    async def stop() -> None:
        with contextlib.suppress(Exception):
            proc = await asyncio.wait_for(asyncio.shield(spawning), _REAP_TIMEOUT)
            _kill_group(proc)
            await asyncio.wait_for(proc.wait(), _REAP_TIMEOUT)

    with anyio.CancelScope(shield=True):
        await asyncio.shield(asyncio.ensure_future(stop()))
    # Still starting after the bounded wait: kill it once it has. Not when stop() reaped it: its
    # pid may already belong to another process.
    if not spawning.done():
        spawning.add_done_callback(_kill_if_spawned)


def _kill_if_spawned(spawning: asyncio.Future[asyncio.subprocess.Process]) -> None:
    if spawning.cancelled() or spawning.exception() is not None:
        return
    _kill_group(spawning.result())


def _task_id_arg(creator_task_id: str) -> str:
    if not creator_task_id or not creator_task_id.strip():
        raise ValueError("creator_task_id must not be empty")
    return f"--task-id={creator_task_id.strip()}"
