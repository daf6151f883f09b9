"""Task tables on terminals of every width: ids whole, the topic giving way first, less important
columns hidden (and named) on narrow ones, in English and Chinese (wide characters count two)."""

from __future__ import annotations

import pytest

from contenthub_async.cli.output import display_width
from contenthub_async.clock import ManualClock
from contenthub_async.domain.submission import NewTask
from contenthub_async.services import task_commands
from contenthub_async.store import accounts as account_store
from contenthub_async.store.database import Database
from tests.support.cli import EN, ZH, Ctl

LONG_TOPIC = "智能客服系统的未来发展与挑战：从规则引擎到大模型"  # 24 characters, 48 columns


async def _tasks(db: Database, clock: ManualClock) -> list[str]:
    async with db.write() as conn:
        await account_store.insert_account(conn, name="科技前沿", now=clock.now(), account_id=49)
    new = [NewTask(account_id=49, topic=LONG_TOPIC), NewTask(account_id=49, topic="AI")]
    return await task_commands.submit_tasks(db, new, clock=clock, actor="cli")


def table_lines(out: str, task_ids: list[str]) -> list[str]:
    """The header, rule and rows (the notes under the table may be longer: the terminal wraps them)."""
    lines = out.splitlines()
    last_row = max(i for i, line in enumerate(lines) if any(t in line for t in task_ids))
    return lines[: last_row + 1]


@pytest.mark.parametrize("lang", [EN, ZH])
def test_list_fits_every_width_without_cutting_ids(ctl: Ctl, lang: str) -> None:
    task_ids = ctl.store(_tasks)
    assert isinstance(task_ids, list)
    outputs = {}
    for width in (160, 100, 50, 40, 20):
        r = ctl("list", lang=lang, env={"COLUMNS": str(width)})
        assert r.code == 0, r.err
        outputs[width] = r.out
        for task_id in task_ids:
            assert task_id in r.out, (width, r.out)
        lines = table_lines(r.out, task_ids)
        widest = max(display_width(line.rstrip()) for line in lines)
        if width >= 40:
            assert widest <= width, (width, r.out)

    priority = "Pri" if lang == EN else "优先级"
    hidden = "not shown" if lang == EN else "未显示的列"
    assert LONG_TOPIC in outputs[160] and hidden not in outputs[160]
    # 100 columns: everything still shown, the topic cut short.
    assert priority in outputs[100] and LONG_TOPIC not in outputs[100] and "…" in outputs[100]
    assert hidden not in outputs[100]
    # Narrower: columns hidden, and named; the topic is the last to go.
    assert hidden in outputs[50] and priority in outputs[50].splitlines()[-2]
    assert LONG_TOPIC[:3] in outputs[50]
    assert LONG_TOPIC[:3] not in outputs[20] and ("Topic" if lang == EN else "选题") in outputs[20]
