"""scripts/contenthub-ctl-unit: contenthub-ctl with contenthubd.service's user, directory and
environment, through systemd-run. systemctl and systemd-run are replaced by recording doubles."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WRAPPER = ROOT / "scripts" / "contenthub-ctl-unit"

#: What `systemctl show contenthubd.service --property=X --value` prints for the shipped unit
#: with an EnvironmentFile= added by a drop-in.
SHOWN = {
    "ExecStart": "{ path=/opt/contenthub/venv/bin/contenthubd ; argv[]=/opt/contenthub/venv/bin/contenthubd ;"
                 " ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }",
    "User": "contenthub",
    "Group": "contenthub",
    "WorkingDirectory": "/var/lib/contenthub",
    "Environment": "DATABASE_URL=sqlite:////var/lib/contenthub/contenthub.db",
    "EnvironmentFiles": "/etc/contenthub/contenthub.env (ignore_errors=yes)\n/etc/contenthub/extra.env (ignore_errors=no)",
}


def doubles(bin_dir: Path, record: Path) -> None:
    bin_dir.mkdir()
    shown = "\n".join(f"    {key}) printf '%s\\n' {' '.join(repr(line) for line in value.splitlines())} ;;"
                      for key, value in SHOWN.items())
    (bin_dir / "systemctl").write_text(
        "#!/usr/bin/env bash\n"
        "[[ $1 == show && $2 == ${EXPECTED_UNIT:-contenthubd.service} ]] || exit 0  # an unknown unit: empty values\n"
        f'case "${{3#--property=}}" in\n{shown}\n    *) ;;\nesac\n'
    )
    (bin_dir / "systemd-run").write_text(
        f"#!/usr/bin/env bash\nprintf '%s\\0' \"$@\" > {record}\nexit ${{RUN_EXIT:-0}}\n"
    )
    for tool in ("systemctl", "systemd-run"):
        (bin_dir / tool).chmod(0o755)


def run(tmp_path: Path, *args: str, **env: str) -> tuple[int, list[str]]:
    record = tmp_path / "argv"
    if not (tmp_path / "bin").exists():
        doubles(tmp_path / "bin", record)
    base = {"PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path)}
    proc = subprocess.run([str(WRAPPER), *args], env={**base, **env}, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=30)
    argv = record.read_text().split("\0")[:-1] if record.exists() else []
    return proc.returncode, argv


def test_runs_contenthub_ctl_as_the_unit_does(tmp_path: Path) -> None:
    code, argv = run(tmp_path, "list", "--status", "failed,timeout", LANG="zh_CN.UTF-8", TZ="Asia/Shanghai")
    assert code == 0
    separator = argv.index("--")
    options, command = argv[:separator], argv[separator + 1:]
    assert command == ["/opt/contenthub/venv/bin/contenthub-ctl", "list", "--status", "failed,timeout"]
    for expected in ("--wait", "--pipe", "--uid=contenthub", "--gid=contenthub",
                     "--working-directory=/var/lib/contenthub",
                     "--property=Environment=DATABASE_URL=sqlite:////var/lib/contenthub/contenthub.db",
                     "--property=EnvironmentFile=-/etc/contenthub/contenthub.env",
                     "--property=EnvironmentFile=/etc/contenthub/extra.env",
                     "--setenv=LANG=zh_CN.UTF-8", "--setenv=TZ=Asia/Shanghai"):
        assert expected in options, (expected, options)
    assert not any(option.startswith(("--setenv=LC_ALL", "--setenv=TERM")) for option in options), "only set ones"


def test_exit_status_is_contenthub_ctls_and_the_unit_can_be_chosen(tmp_path: Path) -> None:
    code, _ = run(tmp_path, "monitor", "health", RUN_EXIT="2")
    assert code == 2
    code, argv = run(tmp_path, "db", "version", CONTENTHUB_UNIT="contenthubd-eu.service",
                     EXPECTED_UNIT="contenthubd-eu.service")
    assert code == 0 and argv[-2:] == ["db", "version"]


def test_a_missing_unit_is_an_error(tmp_path: Path) -> None:
    code, argv = run(tmp_path, "list", CONTENTHUB_UNIT="nope.service")
    assert code == 1 and argv == []
