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
    # ---------------------------------------------------------------- monitor
    # --help texts
    "monitor.help.group": {
        "en": "Queue metrics, task lists, daily statistics and health checks (read-only).",
        "zh": "队列指标、任务列表、每日统计与健康检查（只读）。",
    },
    "monitor.help.metrics": {
        "en": "Totals by status, success rate, completion times, queue depth, concurrency.",
        "zh": "各状态任务数、成功率、完成时间、队列深度、并发数。",
    },
    "monitor.help.recent": {"en": "The most recent tasks, newest first.", "zh": "最近的任务（最新的在前）。"},
    "monitor.help.failed": {
        "en": "Failed and timed-out tasks, newest first.",
        "zh": "失败和超时的任务（最新的在前）。",
    },
    "monitor.help.pending": {
        "en": "Pending tasks in the order the daemon takes them.",
        "zh": "待处理任务（按守护进程的出队顺序）。",
    },
    "monitor.help.stats": {
        "en": "Tasks per day (UTC) and the top failure reasons.",
        "zh": "每日任务统计（UTC 日期）与主要失败原因。",
    },
    "monitor.help.health": {
        "en": "Check daemon, database, content-creator, stuck tasks and failure rate. "
        "Exit code 0 healthy, 1 degraded, 2 unhealthy.",
        "zh": "检查守护进程、数据库、content-creator、卡住的任务与失败率。退出码 0 健康，1 降级，2 不健康。",
    },
    "monitor.help.opt.days": {
        "en": "Days to cover: today (UTC) and the N-1 days before (1-{high}).",
        "zh": "统计天数：今天（UTC）及之前的 N-1 天（1-{high}）。",
    },
    # metrics
    "monitor.metrics.title": {"en": "System metrics", "zh": "系统指标"},
    "monitor.label.total": {"en": "Total tasks", "zh": "总任务数"},
    "monitor.label.success_rate": {"en": "Success rate", "zh": "成功率"},
    "monitor.label.avg_completion": {"en": "Average completion time", "zh": "平均完成时间"},
    "monitor.label.p50_completion": {"en": "Median completion time (p50)", "zh": "完成时间中位数（P50）"},
    "monitor.label.p95_completion": {"en": "p95 completion time", "zh": "完成时间 P95"},
    "monitor.label.completion_sample": {"en": "Completion times over", "zh": "完成时间统计范围"},
    "monitor.label.in_flight": {"en": "In flight / limit", "zh": "并发任务 / 上限"},
    "monitor.label.queue_depth": {"en": "Queue by priority", "zh": "队列（按优先级）"},
    "monitor.label.oldest_pending": {"en": "Oldest pending", "zh": "最早的待处理任务"},
    "monitor.value.percent": {"en": "{value:.1f}%", "zh": "{value:.1f}%"},
    "monitor.value.in_flight": {"en": "{count} / {limit}", "zh": "{count} / {limit}"},
    "monitor.value.queue_item": {"en": "P{priority}: {count}", "zh": "P{priority}: {count}"},
    "monitor.value.sample": {
        "en": "the last {count} completed task(s)",
        "zh": "最近 {count} 个已完成任务",
    },
    "monitor.value.oldest_pending": {
        "en": "{task_id}, waiting {age}",
        "zh": "{task_id}，已等待 {age}",
    },
    "monitor.duration.seconds": {"en": "{seconds:.1f} s", "zh": "{seconds:.1f}秒"},
    "monitor.duration.minutes": {"en": "{minutes} min {seconds} s", "zh": "{minutes}分{seconds}秒"},
    "monitor.duration.hours": {"en": "{hours} h {minutes} min", "zh": "{hours}小时{minutes}分"},
    "monitor.duration.days": {"en": "{days} d {hours} h", "zh": "{days}天{hours}小时"},
    # recent / failed / pending
    "monitor.failed.footer": {
        "en": "{count} failed or timed-out task(s), newest first.",
        "zh": "共 {count} 个失败或超时的任务，按提交时间倒序。",
    },
    "monitor.pending.footer": {
        "en": "{count} pending task(s) in queue order (priority, then submission).",
        "zh": "共 {count} 个待处理任务，按出队顺序（先优先级，后提交时间）。",
    },
    # stats
    "monitor.stats.title": {
        "en": "Tasks per day, {first} to {last} (UTC days)",
        "zh": "每日任务统计：{first} 至 {last}（UTC 日期）",
    },
    "monitor.stats.col.day": {"en": "Day (UTC)", "zh": "日期（UTC）"},
    "monitor.stats.col.submitted": {"en": "Submitted", "zh": "提交"},
    "monitor.stats.col.completed": {"en": "Completed", "zh": "完成"},
    "monitor.stats.col.failed": {"en": "Failed", "zh": "失败"},
    "monitor.stats.col.timeout": {"en": "Timed out", "zh": "超时"},
    "monitor.stats.col.success_rate": {"en": "Success", "zh": "成功率"},
    "monitor.stats.total": {"en": "Total", "zh": "合计"},
    "monitor.stats.reasons_title": {"en": "Top failure reasons", "zh": "主要失败原因"},
    "monitor.stats.no_failures": {"en": "No failures.", "zh": "没有失败的任务。"},
    "monitor.stats.col.count": {"en": "Count", "zh": "次数"},
    "monitor.stats.col.reason": {"en": "Reason", "zh": "原因"},
    "monitor.stats.no_reason": {"en": "(no message)", "zh": "（无错误信息）"},
    # health
    "monitor.health.title": {"en": "System health: {status}", "zh": "系统状态: {status}"},
    "monitor.overall.healthy": {"en": "healthy", "zh": "健康"},
    "monitor.overall.degraded": {"en": "degraded", "zh": "降级"},
    "monitor.overall.unhealthy": {"en": "unhealthy", "zh": "不健康"},
    "monitor.level.ok": {"en": "ok", "zh": "正常"},
    "monitor.level.degraded": {"en": "degraded", "zh": "降级"},
    "monitor.level.unhealthy": {"en": "unhealthy", "zh": "不健康"},
    "monitor.level.unknown": {"en": "unknown", "zh": "未知"},
    "monitor.col.check": {"en": "Check", "zh": "检查项"},
    "monitor.col.level": {"en": "Status", "zh": "状态"},
    "monitor.col.detail": {"en": "Detail", "zh": "详情"},
    "monitor.check.database": {"en": "Database", "zh": "数据库"},
    "monitor.check.daemon": {"en": "Daemon", "zh": "守护进程"},
    "monitor.check.creator": {"en": "content-creator", "zh": "content-creator"},
    "monitor.check.stuck_tasks": {"en": "Stuck tasks", "zh": "卡住的任务"},
    "monitor.check.failure_rate": {"en": "Failure rate (last hour)", "zh": "失败率（最近 1 小时）"},
    "monitor.detail.database_ok": {"en": "{backend}: reachable and writable", "zh": "{backend}：可连接、可写入"},
    "monitor.detail.daemon_ok": {
        "en": "last heartbeat {age} ago ({daemon_id})",
        "zh": "最近心跳在 {age} 前（{daemon_id}）",
    },
    "monitor.detail.daemon_stale": {
        "en": "last heartbeat {age} ago ({daemon_id}); stale after {limit}",
        "zh": "最近心跳在 {age} 前（{daemon_id}），超过 {limit} 即视为失联",
    },
    "monitor.detail.daemon_none": {
        "en": "no running daemon (start contenthubd)",
        "zh": "没有运行中的守护进程（请启动 contenthubd）",
    },
    "monitor.detail.creator_ok": {"en": "{command}: version {version}", "zh": "{command}：版本 {version}"},
    "monitor.detail.stuck_none": {"en": "none past their timeout", "zh": "没有超过超时时间的任务"},
    "monitor.detail.stuck": {
        "en": "{count} task(s) past their timeout: {task_ids}",
        "zh": "{count} 个任务已超过超时时间：{task_ids}",
    },
    "monitor.detail.failure_none": {"en": "no task finished in the last hour", "zh": "最近 1 小时没有结束的任务"},
    "monitor.detail.failure_rate": {
        "en": "{failed} of {finished} finished task(s) failed ({rate}; degraded from {threshold})",
        "zh": "{finished} 个结束的任务中 {failed} 个失败（{rate}；达到 {threshold} 即为降级）",
    },
    "monitor.detail.unknown": {"en": "not checked: the database is unavailable", "zh": "未检查：数据库不可用"},
    # errors
    "monitor.error.bad_days": {
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
