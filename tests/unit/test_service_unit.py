"""The shipped systemd unit ``contenthubd.service``."""

from __future__ import annotations

import grp
import pwd
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[2] / "contenthubd.service"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


def parse_unit(text: str) -> dict[str, dict[str, list[str]]]:
    """Tiny systemd unit parser: keys may repeat, so values are lists."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line[0] in "#;"):
            continue
        if line.endswith("\\"):  # continuation line
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"assignment outside a section: {raw!r}"
        key, sep, value = line.partition("=")
        assert sep, f"not an assignment: {raw!r}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


@pytest.fixture(scope="module")
def unit() -> dict[str, dict[str, list[str]]]:
    return parse_unit(UNIT.read_text(encoding="utf-8"))


def last(unit: dict[str, dict[str, list[str]]], section: str, key: str) -> str:
    values = unit[section].get(key)
    assert values, f"[{section}] {key}= missing"
    return values[-1]


REQUIRED_SERVICE = {
    "Type": "notify",
    "NotifyAccess": "main",
    "WatchdogSec": "60",
    "ExecStart": "/usr/local/bin/contenthubd",
    "ExecStartPre": "/usr/local/bin/contenthub-ctl db init",  # the daemon never creates a database
    "Restart": "on-failure",
    "RestartSec": "5",
    "TimeoutStopSec": "45",
    "KillSignal": "SIGTERM",
    "StateDirectory": "contenthub",
    "WorkingDirectory": "/var/lib/contenthub",
    "EnvironmentFile": "-/etc/contenthub/contenthub.env",
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectControlGroups": "yes",
    "RestrictSUIDSGID": "yes",
    "LockPersonality": "yes",
    "RestrictRealtime": "yes",
    "RestrictNamespaces": "yes",
    "SystemCallArchitectures": "native",
    "CapabilityBoundingSet": "",
    "UMask": "0027",
}


@pytest.mark.parametrize(("key", "expected"), sorted(REQUIRED_SERVICE.items()))
def test_required_service_keys(unit: dict[str, dict[str, list[str]]], key: str, expected: str) -> None:
    assert last(unit, "Service", key) == expected


def test_environment_sets_absolute_sqlite_url(unit: dict[str, dict[str, list[str]]]) -> None:
    assert "DATABASE_URL=sqlite:////var/lib/contenthub/contenthub.db" in unit["Service"]["Environment"]


def test_stop_timeout_exceeds_shutdown_grace(unit: dict[str, dict[str, list[str]]]) -> None:
    assert int(last(unit, "Service", "TimeoutStopSec")) > 30  # CONTENTHUB_SHUTDOWN_GRACE default


def test_user_identity(unit: dict[str, dict[str, list[str]]]) -> None:
    service = unit["Service"]
    if service.get("DynamicUser", ["no"])[-1] != "yes":
        assert last(unit, "Service", "User") == "contenthub"
        assert last(unit, "Service", "Group") == "contenthub"


def test_node_child_constraints(unit: dict[str, dict[str, list[str]]]) -> None:
    # V8's JIT needs W+X pages: MemoryDenyWriteExecute=yes would crash node.
    assert unit["Service"].get("MemoryDenyWriteExecute", ["no"])[-1] != "yes"
    # /opt is read-only under ProtectSystem=strict; content-creator's own
    # SQLite lives there, so the unit must say what it may touch.
    paths = " ".join(unit["Service"].get("ReadWritePaths", []) + unit["Service"].get("ReadOnlyPaths", []))
    assert "/opt/content-creator" in paths
    text = UNIT.read_text(encoding="utf-8")
    assert re.search(r"#.*MemoryDenyWriteExecute", text)
    assert re.search(r"#.*CREATOR_WORKDIR", text)


def test_install_section(unit: dict[str, dict[str, list[str]]]) -> None:
    assert last(unit, "Install", "WantedBy") == "multi-user.target"


def _existing_executable() -> str:
    venv_script = Path(sys.executable).parent / "contenthubd"
    return str(venv_script) if venv_script.exists() else sys.executable


def _name_exists(lookup, name: str) -> bool:  # type: ignore[no-untyped-def]
    try:
        lookup(name)
    except KeyError:
        return False
    return True


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze not installed")
def test_systemd_analyze_verify(tmp_path: Path) -> None:
    assert SYSTEMD_ANALYZE is not None
    lines = []
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        if line.startswith("ExecStart="):
            line = f"ExecStart={_existing_executable()}"
        elif line.startswith("ExecStartPre="):
            line = f"ExecStartPre={Path(_existing_executable()).parent / 'contenthub-ctl'} db init"
        elif line.startswith("User=") and not _name_exists(pwd.getpwnam, line.partition("=")[2]):
            continue
        elif line.startswith("Group=") and not _name_exists(grp.getgrnam, line.partition("=")[2]):
            continue
        lines.append(line)
    copy = tmp_path / UNIT.name
    copy.write_text("\n".join(lines) + "\n", encoding="utf-8")

    proc = subprocess.run(
        [SYSTEMD_ANALYZE, "verify", "--man=no", str(copy)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    output = (proc.stdout + proc.stderr).splitlines()
    # Unknown keys and unparsable values are only warnings (rc stays 0), and
    # the host may have unrelated broken units: keep lines naming our unit.
    ours = [line for line in output if UNIT.name in line]
    assert proc.returncode == 0, "\n".join(output)
    assert ours == [], "\n".join(ours)
