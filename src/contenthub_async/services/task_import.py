"""``import``: the valid rows of a parsed CSV file become tasks, in one transaction.

All or nothing by default: any problem (from the file, or an unknown or disabled account)
imports no row. With ``skip_invalid`` the valid rows are imported and the problems reported,
unless the file itself is unusable (bad header, no rows).
"""

from __future__ import annotations

from dataclasses import dataclass

from contenthub_async.clock import Clock
from contenthub_async.domain.task_csv import CsvProblem, ParsedCsv
from contenthub_async.services.task_commands import account_refusal
from contenthub_async.store import accounts as account_store
from contenthub_async.store import tasks as task_store
from contenthub_async.store.database import Database

ACTOR = "import"


@dataclass(frozen=True)
class ImportOutcome:
    #: ids of the imported tasks, in file order (empty when refused)
    task_ids: list[str]
    #: every problem, in line order (the skipped rows, or why nothing was imported)
    problems: list[CsvProblem]
    #: nothing was imported because of the problems
    refused: bool
    #: rows without any problem (imported unless refused)
    valid_rows: int

    @property
    def skipped_rows(self) -> int:
        """Rows with a problem (a row with several problems counts once)."""
        return len({p.line for p in self.problems})


async def import_tasks(db: Database, parsed: ParsedCsv, *, clock: Clock, skip_invalid: bool) -> ImportOutcome:
    """Check the accounts of the valid rows and insert them (all, or none when anything is wrong)."""
    if parsed.fatal:
        return ImportOutcome([], parsed.problems, refused=True, valid_rows=0)
    async with db.write() as conn:
        found = await account_store.get_accounts(conn, (task.account_id for _, task in parsed.rows))
        problems = list(parsed.problems)
        good = []
        for line, task in parsed.rows:
            refusal = account_refusal(task.account_id, found.get(task.account_id))
            if refusal is None:
                good.append(task)
            else:
                problems.append(CsvProblem(line, "account_id", refusal.code, dict(refusal.details)))
        problems.sort(key=lambda p: p.line)
        if (problems and not skip_invalid) or not good:
            return ImportOutcome([], problems, refused=True, valid_rows=len(good))
        task_ids = await task_store.insert_tasks(conn, good, now=clock.now(), actor=ACTOR)
    return ImportOutcome(task_ids, problems, refused=False, valid_rows=len(good))
