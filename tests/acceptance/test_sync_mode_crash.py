"""kill -9 of a contenthubd running sync-mode generations: its creator processes die with it,
and the task runs again under the next daemon (at-least-once), which takes the dead daemon's
task over at once."""

from __future__ import annotations

import signal
from pathlib import Path

from contenthub_async.domain.submission import NewTask
from tests.support.daemons import daemon_environment, prepare, sqlite_rows, start_daemon, submit, wait_until
from tests.support.processes import kill_survivors, no_survivors, survivors


async def test_kill_dash_nine_leaves_no_creator_process_and_the_task_runs_again(tmp_path: Path) -> None:
    db_path = tmp_path / "contenthub.db"
    url = f"sqlite:///{db_path}"
    marker = str(tmp_path)  # in the topic, so in the creator processes' command lines
    await prepare(url)
    [task_id] = await submit(url, [NewTask(account_id=49, topic=f"survives a crash {marker}")])
    common = {"CREATOR_MODE": "sync", "CONTENTHUB_LEASE_SECONDS": "4", "CONTENTHUB_CREATOR_CALL_TIMEOUT": "3",
              "CONTENTHUB_PUBLISH_TIMEOUT": "3"}
    log = tmp_path / "daemon.log"

    def status() -> str:
        return str(sqlite_rows(db_path, "SELECT status FROM content_generation_tasks WHERE task_id = ?", task_id)[0][0])

    doomed = start_daemon(daemon_environment(url, tmp_path / "fake", {"latency": 600}, **common), log)
    try:
        await wait_until(lambda: status() == "processing" and bool(survivors(marker)), timeout=60, interval=0.1)
        doomed.send_signal(signal.SIGKILL)
        assert doomed.wait(timeout=30) == -signal.SIGKILL
        assert await no_survivors(marker) == [], "the creator processes died with their daemon"
        assert status() == "processing", "nothing was released: the daemon died without a word"

        survivor = start_daemon(daemon_environment(url, tmp_path / "fake", {"latency": 0.3}, **common), log)
        try:
            await wait_until(lambda: status() == "completed", timeout=120, interval=0.2)
        finally:
            survivor.send_signal(signal.SIGTERM)
            assert survivor.wait(timeout=30) == 0
    finally:
        if doomed.poll() is None:
            doomed.kill()
            doomed.wait()
        kill_survivors(marker)

    moves = sqlite_rows(
        db_path,
        "SELECT e.from_status, e.to_status, e.message FROM task_events e JOIN content_generation_tasks t"
        " ON t.id = e.generation_task_id WHERE t.task_id = ? ORDER BY e.id", task_id,
    )
    rescues = [m for m in moves if m[:2] == ("processing", "pending")]
    assert len(rescues) == 1 and (rescues[0][2] or "").endswith("back to the queue"), moves
    assert [m[:2] for m in moves].count(("submitting", "processing")) == 2, "run twice: at-least-once"
    assert sqlite_rows(db_path, "SELECT count(*) FROM contents") == [(1,)]
    assert sqlite_rows(db_path, "SELECT lease_owner, retry_count FROM content_generation_tasks") == [(None, 0)]
