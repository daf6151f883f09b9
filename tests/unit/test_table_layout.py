"""How tables give way on narrow terminals (cli/output.py: layout)."""

from __future__ import annotations

from contenthub_async.cli.output import COLUMN_GAP, Column, display_width, layout

ID = "task-0123456789ab"
COLUMNS = [
    Column("Task ID"),
    Column("Status"),
    Column("Progress", right=True, drop=3),
    Column("Account", drop=2),
    Column("Topic", shrink=10, max_width=60, drop=1),
]
ROWS = [[ID, "processing", "40%", "49 科技前沿", "智能客服系统的未来发展与挑战：从规则引擎到大语言模型"]]


def total(sizes: list[int | None]) -> int:
    shown = [s for s in sizes if s is not None]
    return sum(shown) + COLUMN_GAP * (len(shown) - 1)


def test_wide_characters_count_two_columns() -> None:
    assert display_width("科技前沿") == 8 and display_width("AI 客服") == 7


def test_everything_at_its_natural_width_when_it_fits() -> None:
    natural = [len(ID), len("processing"), len("Progress"), 11, display_width(ROWS[0][4])]
    assert layout(COLUMNS, ROWS, 200) == natural
    assert layout(COLUMNS, ROWS, None) == natural


def test_the_topic_gives_way_first() -> None:
    sizes = layout(COLUMNS, ROWS, 80)
    assert sizes[:4] == [len(ID), len("processing"), len("Progress"), 11]
    assert sizes[4] is not None and 10 <= sizes[4] < display_width(ROWS[0][4])
    assert total(sizes) == 80


def test_less_important_columns_are_hidden_then_the_topic_last() -> None:
    # ids, status, account and a 10-column topic: 17 + 10 + 11 + 10 + 3 gaps = 57
    assert layout(COLUMNS, ROWS, 60) == [len(ID), len("processing"), None, 11, 13]
    assert layout(COLUMNS, ROWS, 45) == [len(ID), len("processing"), None, None, 12]
    assert layout(COLUMNS, ROWS, 20) == [len(ID), len("processing"), None, None, None]


def test_ids_are_never_cut_even_below_the_narrowest_layout() -> None:
    sizes = layout(COLUMNS, ROWS, 10)
    assert sizes[0] == len(ID) and total(sizes) > 10
