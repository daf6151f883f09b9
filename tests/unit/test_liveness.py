"""The rules that decide who is dead, and what happens to the work of the dead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contenthub_async.domain.liveness import (
    DEAD_AFTER_HEARTBEATS,
    CauseOfDeath,
    DaemonLife,
    Here,
    can_probe,
    cause_of_death,
    process_key,
    seconds_until_silent,
)
from contenthub_async.domain.rescue import abort_before_expiry, renew_every, rescued_status, tracker_term_seconds
from contenthub_async.domain.states import TaskStatus

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
SCOPE = "boot-1:pid:[4026531836]"
HERE = Here(daemon_id="me", host_id="host-a", process_scope=SCOPE, heartbeat_seconds=10)


def life(age: float = 1.0, *, host: str | None = "host-a", key: str | None = process_key(SCOPE, "123"),
         interval: float | None = 10, daemon_id: str = "other") -> DaemonLife:
    return DaemonLife(daemon_id=daemon_id, host_id=host, pid=4242, process_key=key,
                      heartbeat_at=NOW - timedelta(seconds=age), heartbeat_seconds=interval)


def test_same_host_a_running_process_with_a_fresh_heartbeat_is_alive() -> None:
    assert cause_of_death(life(), HERE, now=NOW, running_key=process_key(SCOPE, "123")) is None


def test_same_host_a_gone_process_is_dead_at_once_however_fresh_its_heartbeat() -> None:
    assert cause_of_death(life(age=0), HERE, now=NOW, running_key=None) == CauseOfDeath.PROCESS_GONE


def test_same_host_a_reused_pid_is_dead_at_once() -> None:
    assert cause_of_death(life(age=0), HERE, now=NOW, running_key=process_key(SCOPE, "999")) == CauseOfDeath.PID_REUSED


def test_another_host_is_judged_by_its_heartbeat_only() -> None:
    other = life(host="host-b")
    assert not can_probe(other, HERE)
    assert cause_of_death(other, HERE, now=NOW, running_key=None) is None
    silent = life(age=DEAD_AFTER_HEARTBEATS * 10 + 0.1, host="host-b")
    assert cause_of_death(silent, HERE, now=NOW) == CauseOfDeath.SILENT
    just_in_time = life(age=DEAD_AFTER_HEARTBEATS * 10, host="host-b")
    assert cause_of_death(just_in_time, HERE, now=NOW) is None


def test_pids_of_another_boot_or_pid_namespace_or_unknown_identity_are_not_probed() -> None:
    for other in (life(key=process_key("boot-2:pid:[4026531836]", "123")),
                  life(key=process_key("boot-1:pid:[4026532000]", "123")),
                  life(key=None), life(host=None)):
        assert not can_probe(other, HERE)
        assert cause_of_death(other, HERE, now=NOW, running_key=None) is None
    blind = Here(daemon_id="me", host_id="host-a", process_scope=None, heartbeat_seconds=10)
    assert not can_probe(life(), blind)


def test_a_daemon_seen_running_on_the_same_host_is_alive_however_late_its_heartbeat() -> None:
    assert cause_of_death(life(age=10_000), HERE, now=NOW, running_key=process_key(SCOPE, "123")) is None


def test_silence_is_measured_in_the_daemons_own_interval() -> None:
    slow = life(age=30, host="host-b", interval=60)
    assert cause_of_death(slow, HERE, now=NOW) is None
    assert seconds_until_silent(slow, HERE, now=NOW) == DEAD_AFTER_HEARTBEATS * 60 - 30
    unrecorded = life(age=15, host="host-b", interval=None)
    assert seconds_until_silent(unrecorded, HERE, now=NOW) == DEAD_AFTER_HEARTBEATS * 10 - 15


def test_a_daemon_never_judges_itself() -> None:
    assert cause_of_death(life(age=10_000, daemon_id="me"), HERE, now=NOW, running_key=None) is None


def test_rescued_submitting_tasks_go_back_to_the_queue_unless_cancelled_meanwhile() -> None:
    assert rescued_status(cancel_requested=False) == TaskStatus.PENDING
    assert rescued_status(cancel_requested=True) == TaskStatus.CANCELLED


def test_tracker_term_renews_three_times_and_aborts_before_it_ends() -> None:
    term = tracker_term_seconds(poll_interval=30, heartbeat_interval=10)
    assert term == 90
    assert tracker_term_seconds(poll_interval=0.2, heartbeat_interval=1) == 2
    assert renew_every(term) * 3 == term
    assert 0 < abort_before_expiry(term) < term - renew_every(term)
