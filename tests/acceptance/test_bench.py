"""scripts/bench.py produces every figure, each in its whole shape (values are not judged, only their
presence); `--smoke` gives each figure from the fewest samples, so this runs in a fraction of `--quick`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import run_in_own_session

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "scripts" / "bench.py"

FIGURES = ["submit_latency", "bulk_enqueue", "claim_throughput", "pickup_latency", "end_to_end",
           "creator_modes", "tracking_cost", "memory", "postgresql", "recovery", "publishing", "http_api", "webhooks"]


def numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def skipped(section: Any) -> bool:
    return isinstance(section, dict) and isinstance(section.get("skipped"), str) and section["skipped"] != ""


def check_claims(claims: dict[str, Any]) -> None:
    assert set(claims["batches"]) == {"1", "16", "64"}
    for batch in claims["batches"].values():
        for key in ("ours_tasks_per_s", "ceiling_raw_tasks_per_s", "ratio_to_ceiling"):
            assert numeric(batch[key]), key


def check_end_to_end(e2e: dict[str, Any]) -> None:
    for key in ("concurrency_5", "concurrency_50"):
        assert numeric(e2e[key]["tasks_per_s"]) and numeric(e2e[key]["creator_processes_per_task"]), key


@pytest.mark.slow
def test_benchmark_produces_every_figure(tmp_path: Path) -> None:
    output = tmp_path / "bench.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FAKE_CREATOR_", "ASYNC_"))}
    env.pop("DATABASE_URL", None)
    if "CONTENTHUB_TEST_POSTGRES_URL" in os.environ:  # so CI produces the PostgreSQL figures
        env["CONTENTHUB_TEST_POSTGRES_URL"] = os.environ["CONTENTHUB_TEST_POSTGRES_URL"]
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    # A limit only against a hang: the smoke run takes about a minute on a quiet machine, several on a busy one.
    run = run_in_own_session([sys.executable, str(BENCH), "--smoke", "--output", str(output)], cwd=tmp_path, env=env,
                             timeout=1200)
    assert output.exists(), run.stderr[-3000:]
    results = json.loads(output.read_text())
    for name in FIGURES:
        assert name in results, name
        assert "error" not in results[name], (name, results[name])
    assert run.returncode == 0, run.stderr[-3000:]

    submit = results["submit_latency"]
    assert numeric(submit["seconds"]) and numeric(submit["ratio_to_baseline"])
    for command in ("submit", "status", "list", "cancel"):
        figure = submit["commands"][command]
        assert numeric(figure["seconds"]) and numeric(figure["best_ratio_to_baseline"]), command

    bulk = results["bulk_enqueue"]
    assert numeric(bulk["store_api_tasks_per_s"]) and numeric(bulk["ratio_to_baseline"])
    assert numeric(bulk["csv_import"]["tasks_per_s"]) and bulk["csv_import"]["tasks"] == bulk["tasks"]

    check_claims(results["claim_throughput"])

    pickup = results["pickup_latency"]
    assert numeric(pickup["p50_seconds"]) and numeric(pickup["p95_seconds"])

    check_end_to_end(results["end_to_end"])

    modes = results["creator_modes"]
    for mode in ("async", "sync"):
        for key in ("tasks_per_s", "creator_processes_per_task", "creator_cpu_seconds_per_task"):
            assert numeric(modes[mode][key]), (mode, key)
    assert modes["sync"]["creator_calls"] == {"create": modes["tasks"]}, "sync mode: one create per task, nothing else"

    publishing = results["publishing"]
    assert numeric(publishing["baseline_plain_loop_entries_per_s"])
    for key in ("concurrency_1", "concurrency_2"):
        assert numeric(publishing[key]["entries_per_s"]) and numeric(publishing[key]["overhead_ms_per_entry"]), key

    tracking = results["tracking_cost"]["in_flight"]
    assert {"10", "100"} <= set(tracking)
    for row in tracking.values():
        for key in ("cycle_seconds", "creator_processes_per_cycle", "creator_cpu_seconds_per_cycle"):
            assert numeric(row[key]), key

    memory = results["memory"]
    assert numeric(memory["vm_hwm_mib"]) and numeric(memory["ratio_to_baseline"])

    http = results["http_api"]
    for clients in ("clients_1", "clients_16"):
        for key in ("p50_seconds", "p99_seconds", "submits_per_s", "daemon_cpu_seconds_per_request"):
            assert numeric(http[clients][key]), (clients, key)
    assert numeric(http["contenthub_ctl_submit_seconds"])
    assert numeric(http["end_to_end_concurrency_5"]["ratio_on_to_off"])
    assert numeric(http["end_to_end_concurrency_5"]["ratio_idle_to_off"])

    webhooks = results["webhooks"]
    assert numeric(webhooks["latency"]["p50_seconds"]) and numeric(webhooks["latency"]["p95_seconds"])
    assert numeric(webhooks["throughput"]["deliveries_per_s"]) and numeric(webhooks["throughput"]["ratio_to_baseline"])
    assert numeric(webhooks["slow_receiver"]["ratio_slow_to_none"])

    postgresql = results["postgresql"]
    if "CONTENTHUB_TEST_POSTGRES_URL" in os.environ:
        assert not skipped(postgresql), postgresql
    if not skipped(postgresql):
        check_claims(postgresql["claim_throughput"])
        check_end_to_end(postgresql["end_to_end"])

    recovery = results["recovery"]
    cases = [recovery["same_host_sqlite"]]
    if "CONTENTHUB_TEST_POSTGRES_URL" in os.environ:
        cases.append(recovery["other_host_postgresql"])
    for case in cases:
        for key in ("first_state_change_seconds", "startup_seconds", "normal_rate_seconds", "goal_seconds",
                    "baseline_daemon_import_seconds"):
            assert numeric(case[key]), key
        assert isinstance(case["goal_met"], bool)
