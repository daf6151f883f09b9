"""Tasks from a CSV file (``import``): decoding, the header, and every row through
:func:`~contenthub_async.domain.submission.check_submission`. Pure: bytes in, tasks and
problems out (account checks need the database and live in services).

The file is UTF-8 (a byte-order mark is allowed) or, failing that, GB18030 (which includes GBK, the
usual Excel export on Chinese systems); ``ParsedCsv.encoding`` says which. It is comma-separated, with a header line naming
the columns in any order: ``account_id`` and ``topic`` are required; ``keywords``,
``priority``, ``auto_approve``, ``category``, ``requirements``, ``tone``, ``max_retries`` and
``callback_url`` (the task's own webhook URL) are optional (an empty cell takes the default). Quoted fields, CRLF line ends and blank
lines are fine. Every problem is reported with the file line it is on (the header is line 1).
Quoting is read strictly: a quote that is never closed, or text after a closing quote, or a
field longer than 128 Ki characters makes the whole file unusable (a lenient reader would take
the following rows into one field).
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
from collections.abc import Iterator
from dataclasses import dataclass

from contenthub_async.domain.submission import InvalidSubmission, NewTask, check_submission

REQUIRED_COLUMNS = ("account_id", "topic")
OPTIONAL_COLUMNS = ("keywords", "priority", "auto_approve", "category", "requirements", "tone", "max_retries",
                    "callback_url")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

_TRUE = frozenset({"true", "1", "yes", "y", "是"})
_FALSE = frozenset({"false", "0", "no", "n", "否"})


@dataclass(frozen=True)
class CsvProblem:
    """Why a line cannot be imported. ``field`` is the column (None: the line as a whole);
    ``reason`` is a key (the ``invalid.*`` reasons of submissions plus the file-level ones)."""

    line: int
    field: str | None
    reason: str
    details: dict[str, object] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class TaskDefaults:
    """Values of empty or absent optional columns."""

    priority: int = 5
    auto_approve: bool = True
    max_retries: int = 3


@dataclass(frozen=True)
class ParsedCsv:
    #: (line, task) of every valid row
    rows: list[tuple[int, NewTask]]
    problems: list[CsvProblem]
    #: a problem of the file itself (header, no rows): no row can be imported, even with --skip-invalid
    fatal: bool = False
    #: how the bytes were read: ``utf-8`` or ``gb18030``
    encoding: str = "utf-8"


def parse_task_csv(data: bytes, defaults: TaskDefaults) -> ParsedCsv:
    """Every valid row as a task (``source='import'``) and every problem, in line order."""
    encoding, text, bad_lines = _decode(data)
    try:
        return _parse_records(_records(text), bad_lines, defaults, encoding)
    except CsvSyntaxError as exc:
        return ParsedCsv([], [exc.problem], fatal=True, encoding=encoding)


def _parse_records(
    records: Iterator[tuple[int, int, list[str]]], bad_lines: dict[int, CsvProblem], defaults: TaskDefaults,
    encoding: str,
) -> ParsedCsv:
    header = next(records, None)
    if header is None:
        return ParsedCsv([], [CsvProblem(1, None, "empty_file")], fatal=True, encoding=encoding)
    header_line, header_end, names = header
    header_problems = [p for n, p in bad_lines.items() if header_line <= n <= header_end]
    if header_problems:
        return ParsedCsv([], header_problems, fatal=True, encoding=encoding)
    columns = [name.strip().lower() for name in names]
    header_problems = _check_header(header_line, columns)
    if any(p.reason == "missing_column" for p in header_problems):
        return ParsedCsv([], header_problems, fatal=True, encoding=encoding)

    rows: list[tuple[int, NewTask]] = []
    problems: list[CsvProblem] = list(header_problems)
    for line, end, cells in records:
        undecodable = [p for n, p in bad_lines.items() if line <= n <= end] if bad_lines else []
        if undecodable:
            problems.extend(undecodable)
        elif len(cells) != len(columns):
            problems.append(CsvProblem(line, None, "field_count", {"expected": len(columns), "got": len(cells)}))
        else:
            values: dict[str, str] = {}
            for column, cell in zip(columns, cells, strict=True):
                values.setdefault(column, cell)
            checked = _check_row(line, values, defaults)
            if isinstance(checked, NewTask):
                rows.append((line, checked))
            else:
                problems.extend(checked)
    if not rows and not problems:
        return ParsedCsv([], [CsvProblem(header_line, None, "no_rows")], fatal=True, encoding=encoding)
    return ParsedCsv(rows, problems, fatal=bool(header_problems), encoding=encoding)


#: Encodings tried in order, with the problem reason of a line that is not text in it.
ENCODINGS = (("utf-8", "not_utf8"), ("gb18030", "not_gb18030"))


def _decode(data: bytes) -> tuple[str, str, dict[int, CsvProblem]]:
    """(encoding, text, a problem for each line that is not text): a UTF-8 byte-order mark means
    UTF-8; otherwise strict UTF-8, then GB18030 (a superset of GBK and GB2312). NUL bytes mean
    binary data, judged as UTF-8.

    When neither reads the whole file, the lines are judged against the encoding fewer of them
    fail (UTF-8 on a tie) and the bad ones decoded with replacement characters, so the other
    lines are still checked.
    """
    has_bom = data.startswith(codecs.BOM_UTF8)
    if has_bom:
        data = data[len(codecs.BOM_UTF8) :]
    candidates: tuple[tuple[str, str], ...]
    if b"\0" in data:  # binary: not text in any encoding; judged as UTF-8, the expected one
        candidates = ENCODINGS[:1]
    else:
        candidates = ENCODINGS[:1] if has_bom else ENCODINGS
        for encoding, _ in candidates:
            try:
                return encoding, data.decode(encoding), {}
            except UnicodeDecodeError:
                pass
    lines = data.split(b"\n")
    judged = [_decode_lines(lines, encoding, reason) for encoding, reason in candidates]
    encoding, decoded, bad = min(judged, key=lambda result: len(result[2]))
    return encoding, "\n".join(decoded).replace("\0", "\ufffd"), bad


def _decode_lines(lines: list[bytes], encoding: str, reason: str) -> tuple[str, list[str], dict[int, CsvProblem]]:
    bad: dict[int, CsvProblem] = {}
    decoded: list[str] = []
    for number, raw in enumerate(lines, start=1):
        if b"\0" in raw:
            bad[number] = CsvProblem(number, None, "binary")
        try:
            decoded.append(raw.decode(encoding))
        except UnicodeDecodeError as exc:
            bad.setdefault(number, CsvProblem(number, None, reason, {"byte": exc.start + 1}))
            decoded.append(raw.decode(encoding, errors="replace"))
    return encoding, decoded, bad


#: Longest field (characters) the reader accepts, the csv module's default limit: no task field
#: comes near it, so a longer one is a broken file.
MAX_FIELD_CHARS = 128 * 1024


class CsvSyntaxError(ValueError):
    """The file is not well-formed CSV from ``problem.line`` on: nothing in it can be trusted."""

    def __init__(self, problem: CsvProblem) -> None:
        self.problem = problem
        super().__init__(f"line {problem.line}: {problem.reason}")


def _records(text: str) -> Iterator[tuple[int, int, list[str]]]:
    """(first line, last line, cells) of every non-blank record; :class:`CsvSyntaxError` at the
    first quoting error (strict: a lenient reader would swallow the following rows into one
    field) or field over :data:`MAX_FIELD_CHARS`."""
    csv.field_size_limit(MAX_FIELD_CHARS)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    previous_end = 0
    while True:
        start = previous_end + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            message = str(exc)
            if "field larger than field limit" in message:
                problem = CsvProblem(start, None, "field_too_large", {"limit": MAX_FIELD_CHARS})
            elif "unexpected end of data" in message:
                problem = CsvProblem(start, None, "unterminated_quote")
            else:
                problem = CsvProblem(reader.line_num, None, "bad_quoting")
            raise CsvSyntaxError(problem) from None
        previous_end = reader.line_num
        if any(cell.strip() for cell in cells):
            yield start, reader.line_num, cells


def _check_header(line: int, columns: list[str]) -> list[CsvProblem]:
    known = ", ".join(COLUMNS)
    problems = [CsvProblem(line, name or "?", "unknown_column", {"known": known})
                for name in columns if name not in COLUMNS]
    problems += [CsvProblem(line, name, "duplicate_column")
                 for index, name in enumerate(columns) if name in COLUMNS and name in columns[:index]]
    problems += [CsvProblem(line, name, "missing_column") for name in REQUIRED_COLUMNS if name not in columns]
    return problems


def _check_row(line: int, cells: dict[str, str], defaults: TaskDefaults) -> NewTask | list[CsvProblem]:
    problems: list[InvalidSubmission] = []

    def integer(column: str, default: int, reason: str = "not_integer") -> int:
        raw = cells.get(column, "").strip()
        if not raw:
            if column == "account_id":
                problems.append(InvalidSubmission(column, "required"))
            return default
        digits = raw[1:] if raw[:1] in "+-" else raw
        if not (digits.isascii() and digits.isdigit()):
            problems.append(InvalidSubmission(column, reason))
            return default
        return int(raw)

    def boolean(column: str, default: bool) -> bool:
        raw = cells.get(column, "").strip()
        if raw.lower() in _TRUE:
            return True
        if raw.lower() in _FALSE:
            return False
        if raw:
            problems.append(InvalidSubmission(column, "not_boolean", value=raw))
        return default

    account_id = integer("account_id", 1, "not_positive_integer")
    priority = integer("priority", defaults.priority)
    max_retries = integer("max_retries", defaults.max_retries)
    auto_approve = boolean("auto_approve", defaults.auto_approve)
    checked = check_submission(
        account_id=account_id,
        topic=cells.get("topic"),
        keywords=cells.get("keywords"),
        category=cells.get("category"),
        requirements=cells.get("requirements"),
        tone=cells.get("tone"),
        priority=priority,
        max_retries=max_retries,
        auto_approve=auto_approve,
        source="import",
        callback_url=cells.get("callback_url"),
    )
    if isinstance(checked, NewTask) and not problems:
        return checked
    if isinstance(checked, list):
        problems.extend(checked)
    order = {name: index for index, name in enumerate(COLUMNS)}
    problems.sort(key=lambda p: order.get(p.field, len(order)))
    return [CsvProblem(line, p.field, p.reason, dict(p.details)) for p in problems]
