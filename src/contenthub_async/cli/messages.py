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
    # ---------------------------------------------------------------- scheduler
    "help.scheduler": {
        "en": "Cron jobs run by contenthubd (daily batch generation, cleanup, ...).",
        "zh": "由 contenthubd 执行的定时任务（每日批量生成、清理等）。",
    },
    "help.scheduler_create": {"en": "Create a cron job (validated; shows the next 3 firings).",
                              "zh": "创建定时任务（校验参数，显示接下来 3 次执行时间）。"},
    "help.scheduler_list": {"en": "List cron jobs with their next run.", "zh": "列出定时任务及下次执行时间。"},
    "help.scheduler_show": {"en": "Show a cron job.", "zh": "查看定时任务详情。"},
    "help.scheduler_history": {"en": "Show the runs of a cron job, newest first.", "zh": "查看定时任务的执行历史（最新在前）。"},
    "help.scheduler_pause": {"en": "Pause a cron job.", "zh": "暂停定时任务。"},
    "help.scheduler_resume": {"en": "Resume a paused cron job (from the next firing on).",
                              "zh": "恢复已暂停的定时任务（从下一次执行起）。"},
    "help.scheduler_trigger": {"en": "Run a cron job now (the daemon picks it up; it runs when the daemon starts "
                                     "if the daemon is down).",
                               "zh": "立即执行一次（由守护进程执行；守护进程未运行时将在其启动后执行）。"},
    "help.scheduler_delete": {"en": "Delete a cron job and its run history (its tasks stay).",
                              "zh": "删除定时任务及其执行历史（已生成的任务保留）。"},
    "help.scheduler_update": {"en": "Change a cron job.", "zh": "修改定时任务。"},
    "help.opt.job": {"en": "Job id or name.", "zh": "定时任务 ID 或名称。"},
    "help.opt.job_name": {"en": "Unique job name.", "zh": "定时任务名称（唯一）。"},
    "help.opt.job_type": {"en": "Executor: {types}.", "zh": "执行器：{types}。"},
    "help.opt.cron": {"en": "Cron expression: 5 fields (min hour day month weekday), or 6 with seconds first.",
                      "zh": "Cron 表达式：5 个字段（分 时 日 月 周），或 6 个字段（秒在最前）。"},
    "help.opt.params": {"en": "Executor parameters as a JSON object.", "zh": "执行器参数（JSON 对象）。"},
    "help.opt.timezone": {"en": "IANA time zone of the cron expression (default: the system's).",
                          "zh": "Cron 表达式使用的时区（IANA 名称，默认系统时区）。"},
    "help.opt.misfire_policy": {"en": "Missed firings: run_once (catch up once within the grace) or skip.",
                                "zh": "错过的执行：run_once（宽限期内补执行一次）或 skip（跳过）。"},
    "help.opt.misfire_grace": {"en": "Grace period for catching up, in seconds (default 3600).",
                               "zh": "补执行宽限期（秒，默认 3600）。"},
    "help.opt.paused": {"en": "Create the job paused.", "zh": "创建为暂停状态。"},
    "sched.created": {"en": "Job {job_id} created: {name}", "zh": "已创建定时任务 {job_id}：{name}"},
    "sched.updated": {"en": "Job {job_id} updated: {name}", "zh": "已修改定时任务 {job_id}：{name}"},
    "sched.paused": {"en": "Job {job_id} ({name}) paused.", "zh": "定时任务 {job_id}（{name}）已暂停。"},
    "sched.resumed": {"en": "Job {job_id} ({name}) resumed; next run {next_run}.",
                      "zh": "定时任务 {job_id}（{name}）已恢复，下次执行：{next_run}。"},
    "sched.deleted": {"en": "Job {job_id} ({name}) deleted.", "zh": "定时任务 {job_id}（{name}）已删除。"},
    "sched.triggered": {"en": "Job {job_id} ({name}): run {run_id} queued; contenthubd runs it now (or when it starts).",
                        "zh": "定时任务 {job_id}（{name}）：执行 {run_id} 已排队，contenthubd 将立即执行（未运行时在启动后执行）。"},
    "sched.next_runs": {"en": "Next runs:", "zh": "接下来的执行时间："},
    "sched.list_empty": {"en": "No cron jobs. Create one with `contenthub-ctl scheduler create`.",
                         "zh": "没有定时任务。使用 `contenthub-ctl scheduler create` 创建。"},
    "sched.history_empty": {"en": "No runs yet.", "zh": "尚无执行记录。"},
    "sched.system_zone": {"en": "system", "zh": "系统时区"},
    "sched.col.id": {"en": "ID", "zh": "ID"},
    "sched.col.name": {"en": "Name", "zh": "名称"},
    "sched.col.type": {"en": "Type", "zh": "类型"},
    "sched.col.cron": {"en": "Cron", "zh": "Cron"},
    "sched.col.timezone": {"en": "Time zone", "zh": "时区"},
    "sched.col.state": {"en": "State", "zh": "状态"},
    "sched.col.next_run": {"en": "Next run", "zh": "下次执行"},
    "sched.col.last_run": {"en": "Last run", "zh": "上次执行"},
    "sched.col.run_id": {"en": "Run", "zh": "执行 ID"},
    "sched.col.scheduled_for": {"en": "Scheduled for", "zh": "计划时间"},
    "sched.col.trigger": {"en": "Trigger", "zh": "触发方式"},
    "sched.col.status": {"en": "Status", "zh": "状态"},
    "sched.col.duration": {"en": "Duration", "zh": "耗时"},
    "sched.col.counts": {"en": "Submitted/refused", "zh": "提交/拒绝"},
    "sched.col.error": {"en": "Error", "zh": "错误"},
    "sched.label.params": {"en": "Params", "zh": "参数"},
    "sched.label.misfire": {"en": "Missed firings", "zh": "错过的执行"},
    "sched.misfire_value": {"en": "{policy}, grace {grace}s", "zh": "{policy}，宽限 {grace} 秒"},
    "sched.label.created_at": {"en": "Created", "zh": "创建时间"},
    "sched.word.active": {"en": "active", "zh": "启用"},
    "sched.word.paused": {"en": "paused", "zh": "已暂停"},
    "sched.duration_value": {"en": "{seconds:.1f}s", "zh": "{seconds:.1f} 秒"},
    "run.pending": {"en": "pending", "zh": "待执行"},
    "run.running": {"en": "running", "zh": "执行中"},
    "run.succeeded": {"en": "succeeded", "zh": "成功"},
    "run.failed": {"en": "failed", "zh": "失败"},
    "run.missed": {"en": "missed", "zh": "已错过"},
    "trigger.cron": {"en": "cron", "zh": "定时"},
    "trigger.manual": {"en": "manual", "zh": "手动"},
    "trigger.catch_up": {"en": "catch-up", "zh": "补执行"},
    "error.bad_cron": {"en": "--cron: {detail}", "zh": "--cron（Cron 表达式）无效：{detail}"},
    "error.bad_timezone": {"en": "--timezone: {detail}", "zh": "--timezone（时区）无效：{detail}"},
    "error.params_json": {"en": "--params must be a JSON object: {detail}", "zh": "--params 必须是 JSON 对象：{detail}"},
    "error.bad_params": {"en": "--params: {field}: {message}", "zh": "--params 参数 {field} 无效：{message}"},
    "error.unknown_job_type": {"en": "--type: unknown job type {job_type!r} (known: {known})",
                               "zh": "--type：未知的任务类型 {job_type!r}（可用：{known}）"},
    "error.job_not_found": {"en": "cron job {job} not found", "zh": "定时任务 {job} 不存在"},
    "error.duplicate_job_name": {"en": "a cron job named {name!r} exists already",
                                 "zh": "名为 {name!r} 的定时任务已存在"},
    "error.bad_misfire_grace": {"en": "--misfire-grace must be 0 or more seconds",
                                "zh": "--misfire-grace（宽限期）必须是非负整数秒"},
    "error.nothing_to_update": {"en": "nothing to change: give at least one option",
                                "zh": "没有要修改的内容：请至少指定一个选项"},
    # ---------------------------------------------------------------- status: attempts and content
    "label.attempts": {"en": "Attempts", "zh": "执行次数"},
    "label.title": {"en": "Title", "zh": "标题"},
    "label.word_count": {"en": "Words", "zh": "字数"},
    "label.review_status": {"en": "Review", "zh": "审核状态"},
    "label.publish_status": {"en": "Publishing", "zh": "发布状态"},
    "label.pool_status": {"en": "Publish pool", "zh": "发布池"},
    "review.pending": {"en": "pending", "zh": "待审核"},
    "review.approved": {"en": "approved", "zh": "已通过"},
    "review.rejected": {"en": "rejected", "zh": "已拒绝"},
    "publish.draft": {"en": "draft", "zh": "草稿"},
    "publish.queued": {"en": "queued", "zh": "待发布"},
    "publish.published": {"en": "published", "zh": "已发布"},
    "publish.failed": {"en": "failed", "zh": "发布失败"},
    "pool.pending": {"en": "pending", "zh": "排队中"},
    "pool.publishing": {"en": "publishing", "zh": "发布中"},
    "pool.published": {"en": "published", "zh": "已发布"},
    "pool.failed": {"en": "failed", "zh": "失败"},
    "pool.none": {"en": "not in the pool", "zh": "不在发布池中"},
    # ---------------------------------------------------------------- submit --wait
    "help.opt.wait": {
        "en": "Wait until the task is finished, showing its progress; exit 0 if it completed, "
        "1 if it failed, timed out or was cancelled. Ctrl-C stops waiting, not the task (exit 130).",
        "zh": "等待任务结束并显示进度；完成则退出码为 0，失败、超时或取消为 1。"
        "Ctrl-C 只停止等待，不停止任务（退出码 130）。",
    },
    "wait.completed": {
        "en": "Task {task_id} completed: content {content_id} ({review}, {publish}).",
        "zh": "任务 {task_id} 已完成：内容 {content_id}（{review}，{publish}）。",
    },
    "wait.failed": {"en": "Task {task_id} failed: {error}", "zh": "任务 {task_id} 失败：{error}"},
    "wait.timeout": {"en": "Task {task_id} timed out: {error}", "zh": "任务 {task_id} 超时：{error}"},
    "wait.cancelled": {"en": "Task {task_id} was cancelled.", "zh": "任务 {task_id} 已取消。"},
    "wait.interrupted": {
        "en": "Stopped waiting; task {task_id} goes on. Look at it with: contenthub-ctl status {task_id}",
        "zh": "已停止等待，任务 {task_id} 仍在继续。查看任务：contenthub-ctl status {task_id}",
    },
    # ---------------------------------------------------------------- shell completion
    "help.completion": {
        "en": "Print the shell completion script (bash or zsh); see README.md to install it.",
        "zh": "输出 shell 补全脚本（bash 或 zsh）；安装方法见 README.md。",
    },
    "help.opt.shell": {"en": "Shell: bash or zsh.", "zh": "shell 类型：bash 或 zsh。"},
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
