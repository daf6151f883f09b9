"""``exec:COMMAND``: any platform script. The command line is split like a shell would and run
directly (never by a shell), in its own process session, with the article as JSON on stdin
(:meth:`Article.as_json`, credentials included under ``account.credentials``).

Contract: exit 0 and a JSON object on stdout, ``{"external_id": "...", "url": "..."}`` (``url``
optional). A non-zero exit is a failure whose stderr becomes ``last_error``; it is retried,
except exit 65 (``EX_DATAERR``: the platform refuses this article), which fails at once. A
call that outlives the timeout has its whole process group killed (retryable).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from collections.abc import Sequence

from contenthub_async.publishers.port import Article, Publication, PublishError

EX_DATAERR = 65  # sysexits.h: the input data was incorrect
TAIL_CHARS = 2000


class ExecPublisher:
    def __init__(self, argv: Sequence[str], *, timeout: float, spec: str) -> None:
        self.argv = list(argv)
        self.timeout = timeout
        self.spec = spec

    async def publish(self, article: Article) -> Publication:
        payload = json.dumps(article.as_json(with_credentials=True), ensure_ascii=False).encode("utf-8")
        try:
            proc = await asyncio.create_subprocess_exec(
                *self.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, start_new_session=True,
            )
        except OSError as exc:
            raise PublishError(f"cannot run {self.argv[0]}: {exc.strerror or exc}", retryable=False) from None
        try:
            stdout, stderr = await asyncio.wait_for(proc.communicate(payload), timeout=self.timeout)
        except TimeoutError:
            _kill_group(proc)
            await proc.wait()
            raise PublishError(f"{self.argv[0]}: no answer within {self.timeout:g} s; process group killed",
                               retryable=True) from None
        except BaseException:
            _kill_group(proc)
            with contextlib.suppress(Exception):
                await asyncio.shield(proc.wait())
            raise
        _kill_group(proc)  # nothing it started outlives the call
        if proc.returncode != 0:
            tail = stderr.decode("utf-8", errors="replace").strip()[-TAIL_CHARS:]
            reason = tail or f"exit status {proc.returncode}"
            raise PublishError(reason, retryable=proc.returncode != EX_DATAERR)
        return _publication(stdout)


def _publication(stdout: bytes) -> Publication:
    try:
        answer = json.loads(stdout.decode("utf-8"))
    except ValueError:
        answer = None
    external_id = answer.get("external_id") if isinstance(answer, dict) else None
    if not isinstance(external_id, str | int) or str(external_id) == "":
        raise PublishError('the publisher printed no JSON object with "external_id"', retryable=False)
    url = answer.get("url") if isinstance(answer, dict) else None
    return Publication(str(external_id), url if isinstance(url, str) and url else None)


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
