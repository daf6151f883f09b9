"""Shell completion as operators install it: the scripts `contenthub-ctl completion` prints,
loaded by bash (and zsh, fish where installed), which run the installed contenthub-ctl for values."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

from tests.support.daemons import CTL


def command_paths(app: object, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], list[str]]:
    """Every command group of the tree (lazy commands resolved) with its subcommand names."""
    from cyclopts import App

    assert isinstance(app, App)
    children = {name: sub for name, sub in app.resolved_commands().items() if not name.startswith("-")}
    paths = {prefix: sorted(children)} if children else {}
    for name, sub in children.items():
        paths.update(command_paths(sub, (*prefix, name)))
    return paths


def test_bash_completion_completes_every_command_and_subcommand(tmp_path: Path) -> None:
    from contenthub_async.cli.main import build_app

    r = subprocess.run([str(CTL), "completion", "bash"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    script = tmp_path / "contenthub-ctl.bash"
    script.write_text(r.stdout)
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0

    paths = command_paths(build_app())
    assert {("task",), ("account",), ("content",), ("db",)} <= set(paths)
    probe = [f"source {script}"]
    for path, _ in paths.items():
        words = " ".join(["contenthub-ctl", *path, "''"])
        probe.append(f"COMP_WORDS=({words}); COMP_CWORD={len(path) + 1}; COMPREPLY=(); _contenthub_ctl; "
                     'echo "${COMPREPLY[*]}"')
    done = subprocess.run(["bash", "-c", "\n".join(probe)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    offered = done.stdout.splitlines()
    for (path, names), line in zip(paths.items(), offered, strict=True):
        assert sorted(line.split()) == names, (path, line)


def test_zsh_completion_script_names_the_nested_commands() -> None:
    r = subprocess.run([str(CTL), "completion", "zsh"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("#compdef contenthub-ctl")
    for name in ("'submit:", "'completion:", "'generate:", "'add:", "'disable:", "'init:", "--wait"):
        assert name in r.stdout, name
    zsh = shutil.which("zsh")
    if zsh is not None:
        assert subprocess.run([zsh, "-n"], input=r.stdout, text=True, capture_output=True).returncode == 0


def bash_offers(script: Path, *words: str) -> list[str]:
    """What bash completion offers for the last of ``words`` (run with the installed contenthub-ctl),
    unquoted (bash quotes values such as ``failed\\,timeout`` when it inserts them)."""
    line = " ".join(["contenthub-ctl", *(f"'{w}'" for w in words)])
    probe = (f"source {script}; COMP_WORDS=({line}); COMP_CWORD={len(words)}; COMPREPLY=(); _contenthub_ctl; "
             'printf "%s\\n" "${COMPREPLY[@]}"')
    env = {**os.environ, "PATH": f"{CTL.parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    return [shlex.split(word)[0] for word in done.stdout.splitlines() if word]  # as the shell inserts them


def test_bash_completes_values_and_knows_flags(tmp_path: Path) -> None:
    script = tmp_path / "contenthub-ctl.bash"
    script.write_text(subprocess.run([str(CTL), "completion", "bash"], capture_output=True, text=True,
                                     timeout=60, check=True).stdout)
    assert bash_offers(script, "scheduler", "create", "--type", "") == ["async_content_generation", "cleanup", "publishing"]
    assert bash_offers(script, "list", "--status", "fa") == ["failed"]
    assert bash_offers(script, "task", "list", "--status", "failed,ti") == ["failed,timeout"]
    # --auto-approve takes no value: after it, options are offered again.
    assert "--priority" in bash_offers(script, "submit", "--auto-approve", "--pr")
    assert "--priority" in bash_offers(script, "content", "generate", "--auto-approve", "--")


def test_fish_completion_and_other_shells_refused() -> None:
    r = subprocess.run([str(CTL), "completion", "fish"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "complete -c contenthub-ctl" in r.stdout and "-a 'async_content_generation cleanup publishing'" in r.stdout
    assert "-l auto-approve -d" in r.stdout and "-l auto-approve -x" not in r.stdout
    fish = shutil.which("fish")
    if fish is not None:
        assert subprocess.run([fish, "--no-execute"], input=r.stdout, text=True, capture_output=True).returncode == 0
    r = subprocess.run([str(CTL), "completion", "powershell"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and r.stdout == "" and "powershell" in r.stderr
