"""Every human-readable string of ``contenthub-ctl``, in English and Chinese.

A message is looked up by key and formatted with named fields::

    text("task.not_found", task_id="task-0123456789ab")

The language follows the locale: the first of ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that
is set decides; a value starting with ``zh`` selects Chinese, anything else English.
JSON output never goes through this catalog (its keys are English and stable).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Literal

Language = Literal["en", "zh"]

CATALOG: Mapping[str, Mapping[Language, str]] = {
    # ---------------------------------------------------------------- --help texts
    "help.app": {
        "en": "Submit and inspect ContentHub content-generation tasks. contenthub-ctl writes rows and reads "
        "state in the database; the contenthubd daemon does the work.",
        "zh": "提交并查看 ContentHub 内容生成任务。contenthub-ctl 只读写数据库，由 contenthubd 守护进程执行任务。",
    },
    "help.submit": {
        "en": "Queue a content-generation task.",
        "zh": "提交一个内容生成任务（进入队列）。",
    },
    "help.status": {
        "en": "Show a task and its timeline.",
        "zh": "查看任务详情与时间线。",
    },
    "help.list": {
        "en": "List tasks, newest first.",
        "zh": "列出任务（最新的在前）。",
    },
    "help.cancel": {
        "en": "Cancel a task.",
        "zh": "取消任务。",
    },
    "help.retry": {
        "en": "Send a failed, timed-out or cancelled task back to the queue.",
        "zh": "将失败、超时或已取消的任务重新放回队列。",
    },
    "help.content": {
        "en": "Content generation (original spelling: content generate ... --async).",
        "zh": "内容生成（原命令写法：content generate ... --async）。",
    },
    "help.content_generate": {
        "en": "Same as `submit`.",
        "zh": "与 `submit` 相同。",
    },
    "help.task": {
        "en": "Tasks (original spelling: task status|list|cancel|retry).",
        "zh": "任务（原命令写法：task status|list|cancel|retry）。",
    },
    "help.account": {
        "en": "Accounts that tasks are written for.",
        "zh": "任务所属的账号。",
    },
    "help.account_add": {
        "en": "Add an account (initialises an empty database first).",
        "zh": "添加账号（空数据库会先初始化）。",
    },
    "help.account_list": {
        "en": "List accounts.",
        "zh": "列出账号。",
    },
    "help.account_disable": {
        "en": "Disable an account (new tasks are refused).",
        "zh": "停用账号（不再接受新任务）。",
    },
    "help.account_enable": {
        "en": "Enable an account again.",
        "zh": "重新启用账号。",
    },
    "help.db": {
        "en": "The database schema.",
        "zh": "数据库结构。",
    },
    "help.db_init": {
        "en": "Create or upgrade the tables.",
        "zh": "创建或升级数据表。",
    },
    "help.db_version": {
        "en": "Show the schema version.",
        "zh": "查看数据库结构版本。",
    },
    "help.opt.format": {
        "en": "Output: 'table' (human, default) or 'json' (stable keys, UTC times).",
        "zh": "输出格式：table（默认，便于阅读）或 json（键名稳定，UTC 时间）。",
    },
    "help.opt.task_id": {
        "en": "Task id, e.g. task-0123456789ab.",
        "zh": "任务 ID，例如 task-0123456789ab。",
    },
    "help.opt.account_id": {
        "en": "Account id.",
        "zh": "账号 ID。",
    },
    "help.opt.topic": {
        "en": "Topic (1-500 characters).",
        "zh": "选题（1-500 个字符）。",
    },
    "help.opt.keywords": {
        "en": "Comma-separated keywords.",
        "zh": "关键词（逗号分隔）。",
    },
    "help.opt.category": {
        "en": "Category.",
        "zh": "分类。",
    },
    "help.opt.requirements": {
        "en": "Extra requirements for the writer.",
        "zh": "额外要求。",
    },
    "help.opt.tone": {
        "en": "Tone.",
        "zh": "语气。",
    },
    "help.opt.priority": {
        "en": "Priority 0-10, higher first.",
        "zh": "优先级 0-10，越大越先处理。",
    },
    "help.opt.auto_approve": {
        "en": "Approve the content automatically when it is ready (default: ASYNC_AUTO_APPROVE).",
        "zh": "内容生成后自动审核通过（默认取 ASYNC_AUTO_APPROVE）。",
    },
    "help.opt.max_retries": {
        "en": "Automatic retries (default: ASYNC_MAX_RETRIES).",
        "zh": "自动重试次数（默认取 ASYNC_MAX_RETRIES）。",
    },
    "help.opt.async": {
        "en": "Accepted for compatibility: submission is always asynchronous.",
        "zh": "兼容原命令：提交总是异步的。",
    },
    "help.opt.filter_account": {
        "en": "Only this account.",
        "zh": "只看此账号。",
    },
    "help.opt.filter_status": {
        "en": "Only these statuses (comma-separated).",
        "zh": "只看这些状态（逗号分隔）。",
    },
    "help.opt.limit": {
        "en": "At most this many tasks.",
        "zh": "最多显示的任务数。",
    },
    "help.opt.name": {
        "en": "Unique account name.",
        "zh": "账号名称（唯一）。",
    },
    "help.opt.id": {
        "en": "Choose the id (default: next free).",
        "zh": "指定 ID（默认自动分配）。",
    },
    "help.opt.platform": {
        "en": "Platform.",
        "zh": "平台。",
    },
    "help.opt.description": {
        "en": "Description.",
        "zh": "描述。",
    },
    # ---------------------------------------------------------------- task statuses
    "status.pending": {"en": "pending", "zh": "待处理"},
    "status.submitting": {"en": "submitting", "zh": "提交中"},
    "status.submitted": {"en": "submitted", "zh": "已提交"},
    "status.processing": {"en": "processing", "zh": "处理中"},
    "status.completed": {"en": "completed", "zh": "已完成"},
    "status.failed": {"en": "failed", "zh": "失败"},
    "status.timeout": {"en": "timeout", "zh": "超时"},
    "status.cancelled": {"en": "cancelled", "zh": "已取消"},
    # ---------------------------------------------------------------- small words
    "word.yes": {"en": "yes", "zh": "是"},
    "word.no": {"en": "no", "zh": "否"},
    "word.none": {"en": "-", "zh": "-"},
    "word.active": {"en": "active", "zh": "启用"},
    "word.disabled": {"en": "disabled", "zh": "停用"},
    "action.cancel": {"en": "cancel", "zh": "取消"},
    "action.retry": {"en": "retry", "zh": "重试"},
    # ---------------------------------------------------------------- submit
    "submit.done": {
        "en": "Task submitted; it waits in the queue for the daemon.",
        "zh": "任务已提交，正在处理中",
    },
    # ---------------------------------------------------------------- status (labels)
    "label.task_id": {"en": "Task ID", "zh": "任务 ID"},
    "label.status": {"en": "Status", "zh": "状态"},
    "label.priority": {"en": "Priority", "zh": "优先级"},
    "label.progress": {"en": "Progress", "zh": "进度"},
    "label.retries": {"en": "Retries", "zh": "重试次数"},
    "label.account": {"en": "Account", "zh": "账号"},
    "label.topic": {"en": "Topic", "zh": "选题"},
    "label.keywords": {"en": "Keywords", "zh": "关键词"},
    "label.category": {"en": "Category", "zh": "分类"},
    "label.tone": {"en": "Tone", "zh": "语气"},
    "label.requirements": {"en": "Requirements", "zh": "要求"},
    "label.auto_approve": {"en": "Auto-approve", "zh": "自动审核"},
    "label.source": {"en": "Source", "zh": "来源"},
    "label.creator_task_id": {"en": "Creator task ID", "zh": "创作任务 ID"},
    "label.content_id": {"en": "Content ID", "zh": "内容 ID"},
    "label.created_at": {"en": "Created", "zh": "创建时间"},
    "label.run_after": {"en": "Next attempt", "zh": "下次执行"},
    "label.submitted_at": {"en": "Submitted", "zh": "提交时间"},
    "label.started_at": {"en": "Started", "zh": "开始时间"},
    "label.completed_at": {"en": "Finished", "zh": "完成时间"},
    "label.timeout_at": {"en": "Times out at", "zh": "超时时间"},
    "label.cancel_requested_at": {"en": "Cancel requested", "zh": "请求取消时间"},
    "label.lease": {"en": "Claimed by", "zh": "领取者"},
    "label.error_message": {"en": "Error", "zh": "错误信息"},
    "label.timeline": {"en": "Timeline", "zh": "时间线"},
    "label.name": {"en": "Name", "zh": "名称"},
    "label.platform": {"en": "Platform", "zh": "平台"},
    "label.state": {"en": "State", "zh": "状态"},
    "label.id": {"en": "ID", "zh": "ID"},
    "status.retries_value": {"en": "{count}/{max}", "zh": "{count}/{max}"},
    "status.account_value": {"en": "{account_id} ({name})", "zh": "{account_id}（{name}）"},
    "status.account_unknown": {"en": "{account_id} (deleted)", "zh": "{account_id}（已删除）"},
    "status.no_events": {"en": "(no events)", "zh": "（无记录）"},
    # ---------------------------------------------------------------- list
    "list.empty": {"en": "No tasks.", "zh": "没有任务。"},
    "list.col.task_id": {"en": "Task ID", "zh": "任务 ID"},
    "list.col.status": {"en": "Status", "zh": "状态"},
    "list.col.priority": {"en": "Pri", "zh": "优先级"},
    "list.col.progress": {"en": "Progress", "zh": "进度"},
    "list.col.retries": {"en": "Retries", "zh": "重试"},
    "list.col.account": {"en": "Account", "zh": "账号"},
    "list.col.topic": {"en": "Topic", "zh": "选题"},
    "list.col.created_at": {"en": "Created", "zh": "创建时间"},
    "list.footer": {"en": "{count} task(s), newest first.", "zh": "共 {count} 个任务，按提交时间倒序。"},
    # ---------------------------------------------------------------- cancel / retry
    "cancel.cancelled": {"en": "Task {task_id} cancelled.", "zh": "任务 {task_id} 已取消。"},
    "cancel.requested": {
        "en": "Cancel requested for task {task_id} ({status}); the daemon will cancel it.",
        "zh": "已请求取消任务 {task_id}（{status}），守护进程将完成取消。",
    },
    "cancel.already_requested": {
        "en": "Cancel was already requested for task {task_id} ({status}); the daemon will cancel it.",
        "zh": "任务 {task_id}（{status}）已请求过取消，守护进程将完成取消。",
    },
    "retry.done": {
        "en": "Task {task_id} is pending again (manual retry).",
        "zh": "任务 {task_id} 已重新进入待处理队列（手动重试）。",
    },
    # ---------------------------------------------------------------- accounts
    "account.added": {"en": "Account {account_id} added: {name}", "zh": "已添加账号 {account_id}：{name}"},
    "account.disabled": {"en": "Account {account_id} ({name}) disabled.", "zh": "账号 {account_id}（{name}）已停用。"},
    "account.enabled": {"en": "Account {account_id} ({name}) enabled.", "zh": "账号 {account_id}（{name}）已启用。"},
    "account.list_empty": {
        "en": "No accounts. Add one with: contenthub-ctl account add --name NAME",
        "zh": "还没有账号。添加账号：contenthub-ctl account add --name 名称",
    },
    # ---------------------------------------------------------------- db
    "db.migrated": {"en": "Database schema: version {before} → {after}", "zh": "数据库结构版本：{before} → {after}"},
    "db.up_to_date": {
        "en": "Database schema is up to date (version {after}).",
        "zh": "数据库结构已是最新（版本 {after}）。",
    },
    "db.version": {
        "en": "Database schema version {version} (this program: {expected})",
        "zh": "数据库结构版本 {version}（本程序：{expected}）",
    },
    "db.auto_init": {
        "en": "Initialised an empty database (schema version {after}).",
        "zh": "已初始化空数据库（结构版本 {after}）。",
    },
    # ---------------------------------------------------------------- errors (exit 1)
    "error.prefix": {"en": "error: {message}", "zh": "错误：{message}"},
    "error.task_not_found": {"en": "task {task_id} not found", "zh": "任务 {task_id} 不存在"},
    "error.account_not_found": {"en": "account {account_id} not found", "zh": "账号 {account_id} 不存在"},
    "error.invalid_task_state": {
        "en": "cannot {action} task {task_id}: it is {status}",
        "zh": "无法{action}任务 {task_id}：当前状态为{status}",
    },
    "error.task_busy": {
        "en": "task {task_id} is changing state right now; try again",
        "zh": "任务 {task_id} 的状态正在变化，请稍后重试",
    },
    "error.schema_missing": {
        "en": "the database has no contenthub tables yet: run `contenthub-ctl db init`",
        "zh": "数据库还没有 contenthub 的表：请先运行 `contenthub-ctl db init`",
    },
    "error.schema_old": {
        "en": "database schema version {version} is older than this program's ({expected}): "
        "run `contenthub-ctl db init`",
        "zh": "数据库结构版本 {version} 低于本程序的版本（{expected}）：请运行 `contenthub-ctl db init`",
    },
    "error.schema_new": {
        "en": "database schema version {version} is newer than this program's ({expected}): upgrade contenthub-async",
        "zh": "数据库结构版本 {version} 高于本程序的版本（{expected}）：请升级 contenthub-async",
    },
    "error.database": {"en": "database error: {detail}", "zh": "数据库错误：{detail}"},
    "error.service": {"en": "{code}: {detail}", "zh": "{code}：{detail}"},
    # ---------------------------------------------------------------- errors (exit 2)
    "error.usage": {
        "en": "{detail} (see `{command} --help`)",
        "zh": "{detail}（参见 `{command} --help`）",
    },
    "error.config": {"en": "configuration: {detail}", "zh": "配置错误：{detail}"},
    "error.unknown_account": {
        "en": "account {account_id} does not exist (see `contenthub-ctl account list`)",
        "zh": "账号 {account_id} 不存在（参见 `contenthub-ctl account list`）",
    },
    "error.inactive_account": {
        "en": "account {account_id} ({name}) is disabled (enable it with `contenthub-ctl account enable {account_id}`)",
        "zh": "账号 {account_id}（{name}）已停用（可用 `contenthub-ctl account enable {account_id}` 启用）",
    },
    "error.duplicate_account_id": {
        "en": "an account with id {account_id} already exists",
        "zh": "ID 为 {account_id} 的账号已存在",
    },
    "error.duplicate_account_name": {
        "en": "an account named {name!r} already exists",
        "zh": "名为「{name}」的账号已存在",
    },
    "error.bad_status": {
        "en": "unknown status {value!r}; choose from: {choices}",
        "zh": "未知状态「{value}」；可选：{choices}",
    },
    "error.bad_limit": {
        "en": "--limit must be between 1 and {high} (got {value})",
        "zh": "--limit 必须在 1 到 {high} 之间（当前为 {value}）",
    },
    # InvalidSubmission / input checks: "{option}" is the command-line option.
    "invalid.required": {"en": "{option} is required", "zh": "{option}（{field}）为必填项"},
    "invalid.empty": {"en": "{option} must not be empty", "zh": "{option}（{field}）不能为空"},
    "invalid.control_characters": {
        "en": "{option} must not contain control characters",
        "zh": "{option}（{field}）不能包含控制字符",
    },
    "invalid.too_long": {
        "en": "{option} is too long: {length} characters, at most {limit}",
        "zh": "{option}（{field}）过长：{length} 个字符，最多 {limit} 个",
    },
    "invalid.not_integer": {"en": "{option} must be an integer", "zh": "{option}（{field}）必须是整数"},
    "invalid.out_of_range": {
        "en": "{option} must be between {low} and {high} (got {value})",
        "zh": "{option}（{field}）必须在 {low} 到 {high} 之间（当前为 {value}）",
    },
    "invalid.not_positive_integer": {
        "en": "{option} must be a positive integer",
        "zh": "{option}（{field}）必须是正整数",
    },
    "invalid.unknown_source": {"en": "{option} is not a known source", "zh": "{option}（{field}）不是已知来源"},
    "invalid.other": {"en": "{option} is invalid ({reason})", "zh": "{option}（{field}）无效（{reason}）"},
    # Field names (Chinese output names the field next to the option).
    "field.account_id": {"en": "account id", "zh": "账号 ID"},
    "field.topic": {"en": "topic", "zh": "选题"},
    "field.keywords": {"en": "keywords", "zh": "关键词"},
    "field.category": {"en": "category", "zh": "分类"},
    "field.requirements": {"en": "requirements", "zh": "要求"},
    "field.tone": {"en": "tone", "zh": "语气"},
    "field.priority": {"en": "priority", "zh": "优先级"},
    "field.max_retries": {"en": "max retries", "zh": "最大重试次数"},
    "field.source": {"en": "source", "zh": "来源"},
    "field.name": {"en": "name", "zh": "名称"},
    "field.platform": {"en": "platform", "zh": "平台"},
    "field.description": {"en": "description", "zh": "描述"},
    "field.id": {"en": "account id", "zh": "账号 ID"},
    # ================================================================ import, bulk retry, cleanup
    # ---------------------------------------------------------------- --help texts
    "help.import": {
        "en": "Queue many tasks from a CSV file (all rows or none, unless --skip-invalid).",
        "zh": "从 CSV 文件批量导入任务（全部导入或全部不导入，除非使用 --skip-invalid）。",
    },
    "help.bulk_import": {
        "en": "Same as `import FILE` (original spelling: bulk-import --file FILE --async).",
        "zh": "与 `import FILE` 相同（原命令写法：bulk-import --file FILE --async）。",
    },
    "help.cleanup": {
        "en": "Delete finished tasks older than N days and their events (articles are kept).",
        "zh": "删除 N 天前结束的任务及其事件记录（保留已生成的内容）。",
    },
    "help.opt.csv_file": {
        "en": "CSV file with a header line: account_id,topic[,keywords,priority,auto_approve,category,"
        "requirements,tone,max_retries] (UTF-8).",
        "zh": "带表头的 CSV 文件：account_id,topic[,keywords,priority,auto_approve,category,"
        "requirements,tone,max_retries]（UTF-8 编码）。",
    },
    "help.opt.skip_invalid": {
        "en": "Import the valid rows and list the invalid ones (default: import nothing if any row is invalid).",
        "zh": "导入有效行并列出无效行（默认：只要有一行无效就全部不导入）。",
    },
    "help.opt.retry_task_id": {
        "en": "Task id to retry (or use --failed/--timeout/--cancelled with --since).",
        "zh": "要重试的任务 ID（或使用 --failed/--timeout/--cancelled 加 --since 批量重试）。",
    },
    "help.opt.retry_failed": {
        "en": "Retry every failed task that finished within --since.",
        "zh": "重试 --since 时间窗内结束的所有失败任务。",
    },
    "help.opt.retry_timeout": {
        "en": "Retry every timed-out task that finished within --since.",
        "zh": "重试 --since 时间窗内结束的所有超时任务。",
    },
    "help.opt.retry_cancelled": {
        "en": "Retry every cancelled task that finished within --since.",
        "zh": "重试 --since 时间窗内结束的所有已取消任务。",
    },
    "help.opt.since": {
        "en": "Window for a bulk retry, e.g. 30m, 1h, 2d, 1w (units s, m, h, d, w).",
        "zh": "批量重试的时间窗，例如 30m、1h、2d、1w（单位 s、m、h、d、w）。",
    },
    "help.opt.days": {
        "en": "Delete tasks that finished more than this many days ago (at least 1).",
        "zh": "删除结束时间早于该天数的任务（至少 1 天）。",
    },
    "help.opt.yes": {
        "en": "Do not ask for confirmation (needed when stdin is not a terminal).",
        "zh": "不询问确认（标准输入不是终端时必须指定）。",
    },
    # ---------------------------------------------------------------- import
    "import.done": {
        "en": "Imported {count} task(s) from {file}; they wait in the queue for the daemon.",
        "zh": "已从 {file} 导入 {count} 个任务，正在队列中等待处理。",
    },
    "import.done_skipped": {
        "en": "Imported {count} task(s) from {file}; skipped {skipped} invalid row(s) (listed on stderr).",
        "zh": "已从 {file} 导入 {count} 个任务；跳过 {skipped} 个无效行（见标准错误输出）。",
    },
    "import.refused": {
        "en": "nothing imported: {count} problem(s) in {file}",
        "zh": "未导入任何任务：{file} 中有 {count} 个问题",
    },
    "import.refused_hint": {
        "en": "nothing imported: {count} problem(s) in {file} (--skip-invalid imports the {valid} valid row(s))",
        "zh": "未导入任何任务：{file} 中有 {count} 个问题（使用 --skip-invalid 可导入 {valid} 个有效行）",
    },
    "import.problem": {"en": "{file}, line {line}: {problem}", "zh": "{file} 第 {line} 行：{problem}"},
    "import.skipped": {
        "en": "contenthub-ctl: skipped {file}, line {line}: {problem}",
        "zh": "contenthub-ctl: 已跳过 {file} 第 {line} 行：{problem}",
    },
    "import.unreadable": {"en": "cannot read {file}: {detail}", "zh": "无法读取 {file}：{detail}"},
    "csv.empty_file": {"en": "the file is empty (expected a header line)", "zh": "文件为空（缺少表头行）"},
    "csv.no_rows": {"en": "no task rows after the header", "zh": "表头之后没有任务行"},
    "csv.binary": {
        "en": "binary data (NUL byte): not a UTF-8 CSV file",
        "zh": "包含二进制数据（NUL 字节）：不是 UTF-8 编码的 CSV 文件",
    },
    "csv.not_utf8": {
        "en": "not valid UTF-8 text (at byte {byte} of the line); save the file as UTF-8",
        "zh": "不是有效的 UTF-8 文本（该行第 {byte} 个字节处）；请将文件另存为 UTF-8 编码",
    },
    "csv.unknown_column": {
        "en": "unknown column {column!r}; known columns: {known}",
        "zh": "未知列「{column}」；可用的列：{known}",
    },
    "csv.duplicate_column": {"en": "column {column!r} appears twice", "zh": "列「{column}」重复出现"},
    "csv.missing_column": {"en": "required column {column!r} is missing", "zh": "缺少必需的列「{column}」"},
    "csv.field_count": {
        "en": "{got} field(s), expected {expected} (one per header column)",
        "zh": "有 {got} 个字段，应为 {expected} 个（与表头列数一致）",
    },
    "invalid.not_boolean": {
        "en": "{option} must be true or false (got {value!r})",
        "zh": "{option}（{field}）必须是 true 或 false（当前为「{value}」）",
    },
    "field.auto_approve": {"en": "auto-approve", "zh": "自动审核"},
    # ---------------------------------------------------------------- bulk retry
    "retry.bulk_done": {
        "en": "{count} task(s) ({statuses}, finished within {since}) are pending again (manual retry).",
        "zh": "已将 {count} 个任务（{statuses}，{since} 内结束）重新放回待处理队列（手动重试）。",
    },
    "retry.bulk_none": {
        "en": "No tasks to retry: no {statuses} task finished within {since}.",
        "zh": "没有需要重试的任务：{since} 内没有结束的{statuses}任务。",
    },
    "retry.word_or": {"en": " or ", "zh": "或"},
    "error.retry_id_and_bulk": {
        "en": "give either a TASK_ID or --failed/--timeout/--cancelled with --since, not both",
        "zh": "请指定 TASK_ID 或 --failed/--timeout/--cancelled 加 --since，二者不能同时使用",
    },
    "error.retry_nothing": {
        "en": "give a TASK_ID, or --failed/--timeout/--cancelled with --since (e.g. retry --failed --since 1h)",
        "zh": "请指定 TASK_ID，或 --failed/--timeout/--cancelled 加 --since（例如 retry --failed --since 1h）",
    },
    "error.retry_since_required": {
        "en": "a bulk retry needs --since (e.g. --since 1h)",
        "zh": "批量重试需要 --since（例如 --since 1h）",
    },
    "error.bad_duration": {
        "en": "--since: {value!r} is not a duration such as 30m, 1h, 2d or 1w",
        "zh": "--since：「{value}」不是有效的时间长度（例如 30m、1h、2d、1w）",
    },
    # ---------------------------------------------------------------- cleanup
    "cleanup.preview": {
        "en": "{tasks} finished task(s) older than {days} day(s) (finished before {cutoff}) will be deleted "
        "({by_status}), with {events} event(s). Their {contents} article(s) are kept.",
        "zh": "将删除 {tasks} 个 {days} 天前（{cutoff} 之前）结束的任务（{by_status}）及 {events} 条事件记录。"
        "这些任务生成的 {contents} 篇内容将保留。",
    },
    "cleanup.confirm": {"en": "Delete them? [y/N] ", "zh": "确认删除？[y/N] "},
    "cleanup.done": {
        "en": "Deleted {tasks} finished task(s) older than {days} day(s) ({by_status}) and {events} event(s); "
        "kept {contents} article(s).",
        "zh": "已删除 {tasks} 个 {days} 天前结束的任务（{by_status}）及 {events} 条事件记录；保留 {contents} 篇内容。",
    },
    "cleanup.nothing": {
        "en": "Nothing to delete: no task finished more than {days} day(s) ago.",
        "zh": "没有需要删除的任务：没有 {days} 天前结束的任务。",
    },
    "cleanup.aborted": {"en": "Nothing deleted.", "zh": "未删除任何任务。"},
    "cleanup.count": {"en": "{status} {count}", "zh": "{status} {count}"},
    "cleanup.separator": {"en": ", ", "zh": "，"},
    "error.cleanup_needs_yes": {
        "en": "not deleting {tasks} task(s) without confirmation: stdin is not a terminal (add --yes)",
        "zh": "未确认，不删除 {tasks} 个任务：标准输入不是终端（请加 --yes）",
    },
    "error.bad_days": {
        "en": "--days must be between 1 and {high} (got {value})",
        "zh": "--days 必须在 1 到 {high} 之间（当前为 {value}）",
    },
}


def detect_language(environ: Mapping[str, str] | None = None) -> Language:
    """``zh`` when the first set of LC_ALL, LC_MESSAGES, LANG starts with ``zh``; else ``en``."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


@lru_cache(maxsize=1)
def language() -> Language:
    """The language of this process (read once)."""
    return detect_language()


def text(key: str, lang: Language | None = None, /, **fields: object) -> str:
    """The message ``key`` in ``lang`` (default: the locale's), formatted with ``fields``."""
    entry = CATALOG[key]
    template = entry[lang or language()]
    return template.format(**fields) if fields else template


def status_word(status: str, lang: Language | None = None) -> str:
    """The localised word for a task status (unknown values are shown as they are)."""
    key = f"status.{status}"
    return text(key, lang) if key in CATALOG else status
