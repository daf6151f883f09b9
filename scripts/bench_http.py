"""Benchmark figure ``http_api`` of scripts/bench.py: contenthubd's HTTP API on SQLite.

* submit latency (p50/p99) and throughput with 1 and with 16 concurrent clients, each client
  one keep-alive connection sending ``POST /api/v1/content/generate/async`` back to back (a
  minimal HTTP/1.1 client on raw sockets, so the client costs little of the shared CPU);
* the daemon's CPU time per request (the machine is shared: CPU per request says more than
  wall time when other work competes for the cores), and how many submissions the group
  commit put in one transaction (``contenthub_submission_batch_size`` of ``/metrics``);
* beside it, ``contenthub-ctl submit`` (a process per submission);
* dispatch and tracking with the listener on: end-to-end throughput of the same tasks with no
  listener, with the listener on and idle, and with a client reading it 10 times a second
  (ratios to no listener; medians of runs that alternate).
"""

from __future__ import annotations

import asyncio
import json
import socket
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_size import Size, sized

SUBMIT_PATH = "/api/v1/content/generate/async"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` (seconds)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    return ticks / 100.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> tuple[int, bytes]:
    writer.write(raw)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


def _submit_request(port: int, account: int, topic: str) -> bytes:
    body = json.dumps({"account_id": account, "topic": topic}, ensure_ascii=False).encode()
    return (f"POST {SUBMIT_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


async def _client(port: int, account: int, label: str, count: int, latencies: list[float]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for i in range(count):
            raw = _submit_request(port, account, f"{label} {i}")
            started = time.perf_counter()
            status, body = await _request(reader, writer, raw)
            latencies.append(time.perf_counter() - started)
            if status != 202:
                raise RuntimeError(f"submit answered {status}: {body[:200]!r}")
    finally:
        writer.close()


async def load(port: int, account: int, clients: int, per_client: int) -> tuple[list[float], float]:
    """``clients`` concurrent connections, ``per_client`` submissions each; (latencies, wall seconds)."""
    latencies: list[float] = []
    started = time.perf_counter()
    await asyncio.gather(*(_client(port, account, f"c{c}", per_client, latencies) for c in range(clients)))
    return latencies, time.perf_counter() - started


async def _batches(port: int) -> tuple[float, float]:
    """(submissions, transactions) the daemon's group commit has counted (``/metrics``)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        _, body = await _request(reader, writer, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    finally:
        writer.close()
    found = {"_sum": 0.0, "_count": 0.0}
    for line in body.decode().splitlines():
        for suffix in found:
            if line.startswith(f"contenthub_submission_batch_size{suffix} "):
                found[suffix] = float(line.split()[1])
    return found["_sum"], found["_count"]


def wait_for_http(port: int, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if sock.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise TimeoutError("contenthubd did not answer HTTP")


async def _reader(port: int, stop: asyncio.Event) -> int:
    """A dashboard: the pending list and /metrics, 10 times a second; the number of requests."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    done = 0
    try:
        while not stop.is_set():
            for path in ("/api/v1/content/tasks?status=pending&limit=20", "/metrics"):
                status, _ = await _request(reader, writer, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                if status != 200:
                    raise RuntimeError(f"{path} answered {status}")
                done += 1
            try:
                await asyncio.wait_for(stop.wait(), 0.1)
            except TimeoutError:
                pass
    finally:
        writer.close()
    return done


def bench_http_api(
    tmp: Path, size: Size, *, account: int, prepare_db: Callable[[str], Any], daemon_env: Callable[..., dict[str, str]],
    start_daemon: Callable[..., Any], stop_daemon: Callable[..., None], ctl: Path,
    end_to_end: Callable[..., Any],
) -> dict[str, Any]:
    out: dict[str, Any] = {"unit": "s", "backend": "sqlite"}
    db_url = f"sqlite:///{tmp / 'http.db'}"
    asyncio.run(prepare_db(db_url))
    port = free_port()
    env = daemon_env(db_url, tmp / "http-fake", ASYNC_CONTENT_GENERATION_ENABLED="false",
                     CONTENTHUB_HTTP_LISTEN=f"127.0.0.1:{port}")
    daemon = start_daemon(env, tmp / "http-daemon.log")
    try:
        wait_for_http(port)
        asyncio.run(load(port, account, 1, 20))  # warm up
        plans = {1: sized(size, 500, 100, 20), 16: sized(size, 125, 20, 3)}  # submissions per client
        for clients, per_client in plans.items():
            batched_before = asyncio.run(_batches(port))
            cpu_before = cpu_seconds(daemon.pid)
            latencies, wall = asyncio.run(load(port, account, clients, per_client))
            cpu = cpu_seconds(daemon.pid) - cpu_before
            batched_after = asyncio.run(_batches(port))
            submissions, transactions = (after - before for after, before in zip(batched_after, batched_before, strict=True))
            total = clients * per_client
            out[f"clients_{clients}"] = {
                "requests": total, "p50_seconds": round(percentile(latencies, 0.5), 5),
                "p99_seconds": round(percentile(latencies, 0.99), 5), "submits_per_s": round(total / wall, 1),
                "daemon_cpu_seconds_per_request": round(cpu / total, 5),
                "submissions_per_transaction": round(submissions / transactions, 2) if transactions else None,
            }
        ctl_env = {**env, "CONTENTHUB_LOG_LEVEL": "warning"}
        ctl_times = []
        for i in range(sized(size, 10, 3, 1)):
            started = time.perf_counter()
            subprocess.run([str(ctl), "submit", "-a", str(account), "-t", f"ctl {i}"], env=ctl_env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            ctl_times.append(time.perf_counter() - started)
        out["contenthub_ctl_submit_seconds"] = round(statistics.median(ctl_times), 4)
    finally:
        stop_daemon(daemon)

    # Dispatch and tracking: the same run without a listener, with an idle one and with one
    # being read; the three alternate, and each figure is the median of its runs (one run's
    # rate moves with whatever else the shared machine does meanwhile).
    n = sized(size, 100, 30, 10)
    variants = (("listener_off", False, False), ("listener_on_idle", True, False),
                ("listener_on_read_10_per_s", True, True))
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label, _, _ in variants}
    for repeat in range(sized(size, 3, 1, 1)):
        for label, listening, reading in variants:
            url = f"sqlite:///{tmp / f'e2e-{label}-{repeat}.db'}"
            asyncio.run(prepare_db(url))
            listen = f"127.0.0.1:{free_port()}" if listening else ""
            runs[label].append(asyncio.run(_end_to_end_with(end_to_end, url, tmp, f"{label}-{repeat}", n, listen,
                                                            read=reading)))
    rate = {label: statistics.median(r["tasks_per_s"] for r in found) for label, found in runs.items()}
    out["end_to_end_concurrency_5"] = {
        "tasks": n, "runs_each": len(runs["listener_off"]),
        **{f"{label}_tasks_per_s": round(value, 3) for label, value in rate.items()},
        "ratio_idle_to_off": round(rate["listener_on_idle"] / rate["listener_off"], 3),
        "ratio_on_to_off": round(rate["listener_on_read_10_per_s"] / rate["listener_off"], 3),
        "dashboard_requests_during_run": statistics.median(
            r.get("dashboard_requests", 0) for r in runs["listener_on_read_10_per_s"]),
    }
    return out


async def _end_to_end_with(end_to_end: Callable[..., Any], url: str, tmp: Path, label: str, n: int,
                           listen: str, *, read: bool) -> dict[str, Any]:
    if not read:
        result: dict[str, Any] = await end_to_end(url, tmp, label, n, 5, CONTENTHUB_HTTP_LISTEN=listen)
        return result
    port = int(listen.rsplit(":", 1)[1])
    stop = asyncio.Event()

    async def dashboard() -> int:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not stop.is_set():  # until the daemon listens
            try:
                return await _reader(port, stop)
            except OSError:
                await asyncio.sleep(0.05)
        return 0

    reading = asyncio.ensure_future(dashboard())
    try:
        result = await end_to_end(url, tmp, label, n, 5, CONTENTHUB_HTTP_LISTEN=listen)
    finally:
        stop.set()
    try:
        result["dashboard_requests"] = await reading
    except (OSError, asyncio.IncompleteReadError):
        result["dashboard_requests"] = 0  # the daemon stopped mid-request at the end of the run
    return result


def table_rows(r: dict[str, Any]) -> list[tuple[str, str, str]]:
    rows = []
    for clients in (1, 16):
        c = r[f"clients_{clients}"]
        rows.append((f"POST submit, {clients} client(s): p50 / p99", f"{c['p50_seconds'] * 1000:.2f} ms",
                     f"{c['p99_seconds'] * 1000:.1f} ms"))
        rows.append(("  throughput; daemon CPU per request", f"{c['submits_per_s']}/s",
                     f"{c['daemon_cpu_seconds_per_request'] * 1000:.2f} ms"))
        rows.append(("  submissions per transaction (group commit)", f"{c.get('submissions_per_transaction')}", ""))
    rows.append(("  beside: contenthub-ctl submit (median)", f"{r['contenthub_ctl_submit_seconds']} s", ""))
    e = r["end_to_end_concurrency_5"]
    rows.append((f"end-to-end {e['tasks']} tasks, listener off (median of {e['runs_each']})", f"{e['listener_off_tasks_per_s']}/s", ""))
    rows.append(("  listener on, idle", f"{e['listener_on_idle_tasks_per_s']}/s", f"{e['ratio_idle_to_off']}x"))
    rows.append(("  listener on, read 10/s", f"{e['listener_on_read_10_per_s_tasks_per_s']}/s",
                 f"{e['ratio_on_to_off']}x"))
    return rows
