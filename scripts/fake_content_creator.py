"""fake-content-creator: a test double of the content-creator CLI (v0.1.0).

Implements the same command-line contract as the real Node.js tool, byte for
byte modulo ids and times (see tests/fixtures/content-creator/):

    content-creator --version
    content-creator create --mode async|sync --type content-creator --topic T --requirements R
                           [--keywords a,b] [--tone X] [--target-audience X]
                           [--priority low|normal|high|urgent] [--image-size WxH]
    content-creator status --task-id ID          (also -t ID)
    content-creator result --task-id ID [--format json]
    content-creator cancel --task-id ID
    content-creator list [--json] [--status S] [--limit N] [--offset N] [--mode M]

create accepts ``--flag value`` and ``--flag=value`` like the real tool (a value
that starts with a single ``-`` is still a value; one starting with ``--`` is not).

State lives in a SQLite database (WAL, long busy timeout) inside the state
directory, so many copies can run at once.

Async mode (`create --mode async`): the task is queued and `create` returns its
uuid at once. There is no worker: a task's status is derived from the time
elapsed since its creation, lazily, on every read, and transitions are persisted
so startedAt/completedAt stay stable:

    pending   for FAKE_CREATOR_PENDING_SECONDS after creation,
    running   until FAKE_CREATOR_LATENCY seconds after creation,
    completed (or failed when a failure knob applied at creation time).
    A running task can be cancelled (-> cancelled, final).

Latency, pending time, failure and loss are decided when the task is created and
stored with it, so later invocations with other settings do not change its fate.

Sync mode (`create --mode sync`, or any mode other than async, as the real tool
defaults to sync): the whole generation runs inside that one process, which
prints the banner at once and everything else (parameters, log lines, the
result) on stdout only when the generation ends, FAKE_CREATOR_LATENCY seconds
later (fixtures create-sync-*). The task (id `task-<milliseconds>`) is recorded
as running in the database and finished there at the end, so status/result/list
see it; a sync task never changes status by itself. A failure knob gives the
create-sync-failed shape: rc 0, `✅ 执行成功`, `状态: 失败`, and the cause only in
the log lines ("模拟失败: ..." as the LLM error). SIGTERM during the generation
exits 143 with only the banner on stdout and nothing on stderr
(create-sync-terminated), leaving the task running in the database.

Knobs (environment variables, all optional)
-------------------------------------------
FAKE_CREATOR_STATE_DIR        state directory (default ./.fake-creator-state), created if
                              missing; holds tasks.db and invocations.log.
FAKE_CREATOR_STARTUP_DELAY    seconds slept at the start of EVERY invocation (the real
                              tool costs about 2 s per call). Default 0.
FAKE_CREATOR_PENDING_SECONDS  seconds a new async task stays pending (default 0.5).
FAKE_CREATOR_LATENCY          seconds after creation at which a task finishes (default 2);
                              in sync mode, how long the generation inside `create` takes.
FAKE_CREATOR_SLOW_CREATE      extra seconds slept inside async `create` only (default 0).
FAKE_CREATOR_FAIL             "all": every task created ends failed (both modes, as are the
                              three knobs below).
FAKE_CREATOR_FAIL_TOPIC       tasks whose topic contains this substring end failed.
FAKE_CREATOR_FAIL_FIRST       N: the first N tasks created with a given topic fail, later
                              ones with that topic succeed (counted per topic in the db).
FAKE_CREATOR_FAIL_RATE        0..1: a deterministic pseudo-random share of tasks fails; the
                              decision hashes FAKE_CREATOR_SEED + topic + attempt number
                              (the attempt number is the per-topic creation count), so it
                              is reproducible.
FAKE_CREATOR_SEED             seed for FAKE_CREATOR_FAIL_RATE (default "0").
                              Failed tasks carry errorMessage "模拟失败: <topic> (<knob>)".
FAKE_CREATOR_LOSE_TOPIC       tasks whose topic contains this substring are created (the id
                              is printed) but afterwards status/result/cancel answer as for
                              an unknown id (rc 1, "未找到任务" on stderr) and list omits them
                              (a sync generation itself still runs to its end).
FAKE_CREATOR_HANG             comma list of command names (create,status,result,cancel,list,
                              version) or "all": that command prints the banner and then
                              sleeps forever (until killed); for a sync create: a generation
                              that never ends.
FAKE_CREATOR_GARBAGE          comma list of command names or "all": that command prints
                              unparsable junk (deterministic for the given arguments; no valid
                              id, no valid JSON, a few bytes that are not UTF-8) and exits 0.

Every invocation appends one line "<unix time> <pid> <command>" to
$FAKE_CREATOR_STATE_DIR/invocations.log (O_APPEND, a single write), before the
start-up delay, so tests can count the creator processes spawned per command.

Known differences from the real tool: no Redis/BullMQ/worker/webhook; the
article is a deterministic template, not LLM output (in sync mode its image is the
path `data/images/<id>_0_<ms>.png`, the quality score a hash of the article); the
sync log lines are those of the captures (no web search, then the LLM failure).

Stdlib only; imports are kept minimal for a fast start.
"""

import os
import sys
import time

# --------------------------------------------------------------------------- constants

BANNER = (
    "========================================\n"
    "Configuration Loaded Successfully\n"
    "========================================\n"
    "Environment: development\n"
    "Worker ID: worker-local-1\n"
    "Concurrency: 2\n"
    "Database Type: sqlite\n"
    "PostgreSQL: Not configured (using sqlite)\n"
    "Redis: redis://127.0.0.1:16379\n"
    "LLM: mock-model @ http://127.0.0.1:18999/v1\n"
    "Storage: local\n"
    "========================================\n"
)
VERSION = "0.1.0"
SEP = "─" * 40
WORKER_ID = "worker-local-1"
WINSTON = (
    '[winston] Attempt to write logs with no transports, which can increase memory usage: '
    '{"message":"Logger closed","level":"info"}\n'
)
GREEN_TICK = "\x1b[32m✔\x1b[39m"
LOG_ERROR = "[\x1b[31m\x1b[31merror\x1b[31m\x1b[39m]"  # winston's colourized level
RED_CROSS = "\x1b[31m✖\x1b[39m"

STATUS_TEXT = {
    "pending": "⏳ 待处理",
    "running": "🔄 运行中",
    "waiting": "⏸️ 等待中",
    "completed": "✅ 已完成",
    "failed": "❌ 失败",
    "cancelled": "⏹️ 已取消",
}
TERMINAL = ("completed", "failed", "cancelled")

WORKFLOW_NAME = "Content Creator"
WORKFLOW_TYPE = "content-creator"
WORKFLOW_DESC = (
    "AI-driven intelligent content creation system, supporting search, organization, "
    "writing, and quality inspection"
)
USAGE_EXAMPLE = (
    "# 创建一篇关于 AI 技术的科普文章\n"
    'pnpm run cli create --type content-creator --topic "人工智能技术发展史" '
    '--requirements "写一篇 2000 字的科普文章，介绍人工智能的发展历程" --image-size "1920x1920"'
)
# (name, kebab flag, description, default, required, kind) in the tool's display order
PARAMS = (
    ("topic", "topic", "文章主题", None, True, "string"),
    ("requirements", "requirements", "创作要求", None, True, "string"),
    ("targetAudience", "target-audience", "目标受众", "普通读者", False, "string"),
    ("keywords", "keywords", "关键词列表（逗号分隔）", None, False, "array"),
    ("tone", "tone", "语气风格", "专业", False, "string"),
    ("imageSize", "image-size", "图片尺寸（格式如 1920x1080）", "1920x1920", False, "imagesize"),
)

SCHEMA_VERSION = 1
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS tasks (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        mode TEXT NOT NULL,
        topic TEXT NOT NULL,
        requirements TEXT NOT NULL,
        keywords TEXT,
        tone TEXT,
        audience TEXT,
        image_size TEXT,
        priority_requested TEXT,
        status TEXT NOT NULL,
        version INTEGER NOT NULL,
        error_message TEXT,
        fail_message TEXT,
        worker_id TEXT,
        started_ms INTEGER,
        completed_ms INTEGER,
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL,
        pending_ms INTEGER NOT NULL,
        latency_ms INTEGER NOT NULL,
        attempt INTEGER NOT NULL,
        lost INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX IF NOT EXISTS idx_tasks_topic ON tasks(topic)",
    "CREATE INDEX IF NOT EXISTS idx_tasks_status ON tasks(status)",
    "CREATE INDEX IF NOT EXISTS idx_tasks_created ON tasks(created_ms)",
)
COLS = (
    "seq, id, mode, topic, requirements, keywords, tone, audience, image_size, "
    "priority_requested, status, version, error_message, fail_message, worker_id, "
    "started_ms, completed_ms, created_ms, updated_ms, pending_ms, latency_ms, attempt, lost"
)
COL_NAMES = [c.strip() for c in COLS.split(",")]
KW_SEP = "\x1f"


# --------------------------------------------------------------------------- output

class Exit(Exception):
    def __init__(self, rc):
        self.rc = rc


_out = []
_err = []


def out(text=""):
    _out.append(text + "\n")


def err(text=""):
    _err.append(text + "\n")


def flush():
    data_o = "".join(_out).encode("utf-8", "surrogateescape")
    data_e = "".join(_err).encode("utf-8", "surrogateescape")
    _out.clear()
    _err.clear()
    for data, stream in ((data_o, sys.stdout), (data_e, sys.stderr)):
        try:
            if data:
                stream.buffer.write(data)
            stream.buffer.flush()
        except (BrokenPipeError, ValueError):
            pass


# --------------------------------------------------------------------------- helpers

def env_float(name, default):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError:
        return default


def env_set(name):
    raw = os.environ.get(name, "")
    return {p.strip().lower() for p in raw.split(",") if p.strip()}


def knob_applies(name, command):
    names = env_set(name)
    return "all" in names or command in names


def state_dir():
    return os.environ.get("FAKE_CREATOR_STATE_DIR") or "./.fake-creator-state"


def now_ms():
    return int(time.time() * 1000)


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03dZ" % (ms % 1000)


def local_time(ms):
    return time.strftime("%Y/%m/%d %H:%M:%S", time.localtime(ms // 1000))


def duration_text(ms):
    seconds = max(0, ms) // 1000
    if seconds < 60:
        return "%d秒" % seconds
    return "%d分%d秒" % (seconds // 60, seconds % 60)


def new_uuid():
    b = bytearray(os.urandom(16))
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def js_length(text):
    """String.prototype.length: UTF-16 code units."""
    return sum(2 if ord(c) > 0xFFFF else 1 for c in text)


def log_invocation(command):
    d = state_dir()
    try:
        os.makedirs(d, exist_ok=True)
        fd = os.open(os.path.join(d, "invocations.log"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, ("%.3f %d %s\n" % (time.time(), os.getpid(), command)).encode())
        finally:
            os.close(fd)
    except OSError:
        pass


# --------------------------------------------------------------------------- database

def open_db():
    import sqlite3

    d = state_dir()
    os.makedirs(d, exist_ok=True)
    con = sqlite3.connect(os.path.join(d, "tasks.db"), timeout=60.0, isolation_level=None)
    con.execute("PRAGMA busy_timeout = 60000")
    deadline = time.monotonic() + 60.0
    while True:
        try:
            if con.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                con.execute("PRAGMA journal_mode = WAL")
                con.execute("BEGIN IMMEDIATE")
                try:
                    if con.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                        for stmt in SCHEMA:
                            con.execute(stmt)
                        con.execute("PRAGMA user_version = %d" % SCHEMA_VERSION)
                    con.execute("COMMIT")
                except BaseException:
                    if con.in_transaction:
                        con.execute("ROLLBACK")
                    raise
            break
        except sqlite3.OperationalError as exc:
            msg = str(exc).lower()
            if ("locked" not in msg and "busy" not in msg) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
    con.execute("PRAGMA synchronous = NORMAL")
    return con


def in_transaction(con, work):
    """work() inside BEGIN IMMEDIATE ... COMMIT (rolled back if it raises); its result."""
    con.execute("BEGIN IMMEDIATE")
    try:
        result = work()
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise
    return result


def row_dict(row):
    return dict(zip(COL_NAMES, row, strict=True))


def derive(task, now):
    """The (status, fields) the task should have at time `now`; None if unchanged."""
    status = task["status"]
    if status in TERMINAL or task["mode"] == "sync":  # a sync task is finished by its process
        return None
    elapsed = now - task["created_ms"]
    if elapsed >= task["latency_ms"]:
        target = "failed" if task["fail_message"] else "completed"
    elif elapsed >= task["pending_ms"]:
        target = "running"
    else:
        target = "pending"
    if target == status:
        return None
    started = task["created_ms"] + min(task["pending_ms"], task["latency_ms"])
    fields = {"status": target, "worker_id": WORKER_ID, "started_ms": started}
    if target == "running":
        fields.update(version=2, updated_ms=started)
    else:
        done = task["created_ms"] + task["latency_ms"]
        fields.update(completed_ms=done, updated_ms=done, version=3)
        if target == "failed":
            fields.update(version=5, error_message=task["fail_message"])
    return fields


def select_tasks(con, where, params=()):
    return [row_dict(r) for r in con.execute("SELECT %s FROM tasks %s" % (COLS, where), params)]


def apply_transitions(con, tasks, now):
    for task in tasks:
        fields = derive(task, now)
        if fields is None:
            continue
        keys = sorted(fields)
        sets = ", ".join("%s = ?" % k for k in keys)
        con.execute(
            "UPDATE tasks SET %s WHERE seq = ? AND status = ?" % sets,
            [fields[k] for k in keys] + [task["seq"], task["status"]],
        )
        task.update(fields)


def sync_transitions(con, where="", params=(), in_txn=False):
    """Persist due status transitions of the non-terminal tasks matching `where`."""
    clause = "WHERE status IN ('pending', 'running', 'waiting')"
    if where:
        clause += " AND " + where
    now = now_ms()
    if in_txn:
        apply_transitions(con, select_tasks(con, clause, params), now)
        return
    if not any(derive(t, now) for t in select_tasks(con, clause, params)):
        return
    in_transaction(con, lambda: apply_transitions(con, select_tasks(con, clause, params), now_ms()))


def find_task(con, task_id, in_txn=False):
    sync_transitions(con, "id = ?", (task_id,), in_txn=in_txn)
    rows = select_tasks(con, "WHERE id = ? AND lost = 0", (task_id,))
    return rows[0] if rows else None


def record(task):
    rec = {
        "id": task["id"],
        "taskId": task["id"],
        "mode": task["mode"],
        "type": "article",
        "topic": task["topic"],
        "requirements": task["requirements"],
        "status": task["status"],
        "priority": 2,
        "version": task["version"],
        "textRetryCount": 0,
        "imageRetryCount": 0,
        "targetAudience": "general",
        "currentStep": None,
        "errorMessage": task["error_message"],
        "workerId": task["worker_id"],
    }
    if task["started_ms"] is not None:
        rec["startedAt"] = iso(task["started_ms"])
    if task["completed_ms"] is not None:
        rec["completedAt"] = iso(task["completed_ms"])
    rec["createdAt"] = iso(task["created_ms"])
    rec["updatedAt"] = iso(task["updated_ms"])
    return rec


def to_json(value):
    import json

    return json.dumps(value, ensure_ascii=False, indent=2)


# --------------------------------------------------------------------------- article

def keywords_of(task):
    raw = task["keywords"]
    if raw is None:
        return []
    return [k for k in raw.split(KW_SEP) if k]


def article_for(task):
    topic = task["topic"]
    tone = task["tone"] or "专业"
    kws = keywords_of(task)
    focus = "、".join(kws) if kws else topic
    lines = [
        "# %s" % topic,
        "",
        "本文以%s的语气讨论「%s」。创作要求：%s。" % (tone, topic, task["requirements"]),
        "",
        "## 背景",
        "",
        "%s是内容生产中经常遇到的话题，本节围绕%s介绍它的来龙去脉与常见误区。" % (topic, focus),
        "",
        "![示意图](%s)" % image_ref(task),
        "",
        "## 实践要点",
        "",
    ]
    if kws:
        for kw in kws:
            lines.append("- %s：在%s中的作用、适用场景与注意事项。" % (kw, topic))
    else:
        lines.append("围绕%s，需要明确目标、拆解步骤，并在实践中持续复盘。" % topic)
    lines += ["", "## 结语", "", "总结：%s值得以%s的态度持续投入与改进。" % (topic, tone)]
    return "\n".join(lines)


def image_ref(task):
    """The image as the article embeds it: a placeholder (async) or the saved file (sync)."""
    if task["mode"] == "sync":
        return image_url(task)
    return "image-placeholder-1"


def image_url(task):
    if task["mode"] == "sync":
        return "data/images/%s_0_%d.png" % (task["id"], task["created_ms"] + task["latency_ms"])
    return "http://127.0.0.1:18999/img-%d.png" % task["seq"]


def quality_score(task):
    import hashlib

    inputs = "%s\x00%s" % (task["topic"], task["requirements"])
    digest = hashlib.sha256(inputs.encode("utf-8", "surrogateescape")).digest()
    return "%.2f" % (int.from_bytes(digest[:4], "big") % 10000 / 100)


# --------------------------------------------------------------------------- option parsing (commander-like)

def parse_options(args, spec):
    """spec: {long: (short or None, takes_value, display)}. Returns dict long -> value/True."""
    shorts = {v[0]: k for k, v in spec.items() if v[0]}
    opts = {}
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            break
        if arg.startswith("--"):
            name, eq, value = arg[2:].partition("=")
            if name not in spec:
                err("error: unknown option '%s'" % arg)
                raise Exit(1)
            takes_value = spec[name][1]
            if takes_value:
                if not eq:
                    value = following_value(args, i, spec[name][2])
                    i += 1
                opts[name] = value
            else:
                if eq:
                    err("error: option '%s' does not take an argument" % spec[name][2])
                    raise Exit(1)
                opts[name] = True
        elif arg.startswith("-") and len(arg) > 1:
            short = arg[1]
            if short not in shorts:
                err("error: unknown option '%s'" % arg)
                raise Exit(1)
            name = shorts[short]
            if spec[name][1]:
                if len(arg) > 2:
                    value = arg[2:]
                else:
                    value = following_value(args, i, spec[name][2])
                    i += 1
                opts[name] = value
            else:
                opts[name] = True
        # positional arguments are ignored
    return opts


def following_value(args, i, display):
    """The value of an option given as the next argument ``args[i]``."""
    if i >= len(args):
        err("error: option '%s' argument missing" % display)
        raise Exit(1)
    return args[i]


def require(opts, name, display):
    if name not in opts:
        err("error: required option '%s' not specified" % display)
        raise Exit(1)
    return opts[name]


TASK_ID_OPT = ("t", True, "-t, --task-id <taskId>")


def parse_js_int(raw, default):
    raw = (raw or "").strip()
    digits = ""
    for idx, ch in enumerate(raw):
        if ch.isdigit() and ch.isascii():
            digits += ch
        elif idx == 0 and ch in "+-":
            digits += ch
        else:
            break
    try:
        value = int(digits)
    except ValueError:
        return default
    return value or default


# --------------------------------------------------------------------------- failure decisions

def decide_failure(topic, attempt):
    if "all" in env_set("FAKE_CREATOR_FAIL"):
        return "模拟失败: %s (FAKE_CREATOR_FAIL=all)" % topic
    sub = os.environ.get("FAKE_CREATOR_FAIL_TOPIC", "")
    if sub and sub in topic:
        return "模拟失败: %s (FAKE_CREATOR_FAIL_TOPIC)" % topic
    first = int(env_float("FAKE_CREATOR_FAIL_FIRST", 0))
    if first > 0 and attempt <= first:
        return "模拟失败: %s (FAKE_CREATOR_FAIL_FIRST, 第 %d/%d 次)" % (topic, attempt, first)
    rate = env_float("FAKE_CREATOR_FAIL_RATE", 0.0)
    if rate > 0:
        import hashlib

        seed = os.environ.get("FAKE_CREATOR_SEED", "0")
        digest = hashlib.sha256(("%s\x00%s\x00%d" % (seed, topic, attempt)).encode("utf-8", "surrogateescape")).digest()
        if int.from_bytes(digest[:8], "big") / 2.0 ** 64 < rate:
            return "模拟失败: %s (FAKE_CREATOR_FAIL_RATE=%s, seed %s, 第 %d 次)" % (topic, rate, seed, attempt)
    return None


# --------------------------------------------------------------------------- commands

def cmd_create(args):
    # The real tool scans argv itself: "--key=value", or "--key value" when the next
    # argument does not start with "--"; a bare "--key" means true.
    parsed = {}
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if not arg.startswith("--"):
            continue
        key, eq, value = arg[2:].partition("=")
        if not eq:
            if i < len(args) and not args[i].startswith("--"):
                value = args[i]
                i += 1
            else:
                value = "true"
        parsed[key] = value
    wf_type = parsed.get("type", WORKFLOW_TYPE)
    mode = parsed.get("mode", "sync")
    priority = parsed.get("priority", "normal")

    if wf_type != WORKFLOW_TYPE:
        err('❌ 错误: 未知的工作流类型 "%s"' % wf_type)
        out()
        out("💡 可用的工作流类型:")
        out("  • %s - %s" % (WORKFLOW_TYPE, WORKFLOW_NAME))
        out()
        out("使用以下命令查看所有工作流:")
        out("  pnpm run cli workflow list")
        out()
        raise Exit(1)

    params = {}
    errors = []
    for name, flag, _desc, default, required, kind in PARAMS:
        value = parsed.get(flag)
        if value is None:
            value = parsed.get(name)
        if value is not None:
            if kind == "array":
                params[name] = [v.strip() for v in value.split(",")]
            else:
                params[name] = value
                if kind == "imagesize" and not _valid_image_size(value):
                    errors.append("参数 %s 验证失败" % name)
        elif required:
            errors.append("缺少必需参数: %s" % name)
        elif default is not None:
            params[name] = default

    def missing_block(missing):
        out()
        out("❌ 错误: 缺少必需参数")
        out()
        out("工作流类型: %s (%s)" % (WORKFLOW_NAME, WORKFLOW_TYPE))
        out()
        out("缺少以下参数:")
        for m in missing:
            out("  • %s" % m)
        out()
        out("💡 使用示例:")
        out(USAGE_EXAMPLE)

    if errors:
        err("❌ 参数错误:")
        for e in errors:
            err("  • %s" % e)
        out()
        missing = [e[len("缺少必需参数: "):] for e in errors if e.startswith("缺少必需参数: ")]
        if missing:
            missing_block(missing)
        raise Exit(1)
    empty = [name for name in ("topic", "requirements") if not params.get(name)]
    if empty:
        err("❌ 参数验证失败")
        out()
        missing_block(empty)
        raise Exit(1)

    if mode != "async":
        # Sync: the banner now, everything else when the generation ends; SIGTERM
        # (from here on, so whoever saw the banner can count on it) leaves only the
        # banner behind.
        import signal  # here only: its import (enum) is a third of the start of a call

        signal.signal(signal.SIGTERM, lambda *_: os._exit(143))
        flush()
    out()
    out("🚀 创建工作流任务")
    out(SEP)
    out("工作流类型: %s (%s)" % (WORKFLOW_NAME, WORKFLOW_TYPE))
    out("描述: %s" % WORKFLOW_DESC)
    out("执行模式: %s" % mode)
    out("优先级: %s" % priority)
    out("Webhook 回调: 未配置")
    for name, _flag, desc, _default, _required, _kind in PARAMS:
        if name in params:
            value = params[name]
            if isinstance(value, list):
                value = ", ".join(value)
            out("%s: %s" % (desc, value))
    out(SEP)
    out("✅ 使用 SQLite 持久化存储")
    if mode != "async":
        return create_sync(params, mode, priority)

    err("- 添加任务到队列...")
    flush()
    slow = env_float("FAKE_CREATOR_SLOW_CREATE", 0.0)
    if slow > 0:
        time.sleep(slow)

    lose = os.environ.get("FAKE_CREATOR_LOSE_TOPIC", "")
    pending_ms = max(0, int(env_float("FAKE_CREATOR_PENDING_SECONDS", 0.5) * 1000))
    latency_ms = max(0, int(env_float("FAKE_CREATOR_LATENCY", 2.0) * 1000))
    con = open_db()
    task = in_transaction(
        con, lambda: insert_task(con, new_uuid(), mode, params, priority, "pending", latency_ms, pending_ms, lose)
    )
    con.close()
    task_id = task["id"]

    err("%s 任务已添加到队列!" % GREEN_TICK)
    out()
    out("✅ 任务已成功创建")
    out(SEP)
    out("任务ID: %s" % task_id)
    out("模式: 异步（队列）")
    out("状态: 等待 Worker 处理")
    out(SEP)
    out()
    out("💡 后续操作：")
    out("1. 查询任务状态：")
    out("   pnpm run cli result --task-id %s" % task_id)
    out()
    out("2. 确保 Worker 正在运行：")
    out("   pnpm run worker")
    out()
    out("3. 查看监控面板：")
    out("   pnpm run monitor")
    out(SEP)
    return 0


def insert_task(con, task_id, mode, params, priority, status, latency_ms, pending_ms, lose):
    """Insert a new task (inside the caller's transaction); returns its row."""
    topic = params["topic"]
    keywords = params.get("keywords")
    attempt = con.execute("SELECT COUNT(*) FROM tasks WHERE topic = ?", (topic,)).fetchone()[0] + 1
    created = now_ms()
    if task_id is None:  # sync: "task-" + Date.now(), made unique
        ms = created
        while con.execute("SELECT 1 FROM tasks WHERE id = ?", ("task-%d" % ms,)).fetchone():
            ms += 1
        task_id = "task-%d" % ms
    started = created if status == "running" else None
    con.execute(
        "INSERT INTO tasks (id, mode, topic, requirements, keywords, tone, audience, image_size, "
        "priority_requested, status, version, error_message, fail_message, worker_id, "
        "started_ms, completed_ms, created_ms, updated_ms, pending_ms, latency_ms, attempt, lost) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, NULL, ?, NULL, ?, ?, ?, ?, ?, ?)",
        (
            task_id, mode, topic, params["requirements"],
            KW_SEP.join(keywords) if keywords is not None else None,
            params.get("tone"), params.get("targetAudience"), params.get("imageSize"), priority,
            status, 2 if started else 1, decide_failure(topic, attempt), started, created, created,
            pending_ms, latency_ms, attempt, 1 if (lose and lose in topic) else 0,
        ),
    )
    return select_tasks(con, "WHERE id = ?", (task_id,))[0]


def log_error(ms, context, message, payload):
    """One winston error line as content-creator prints it on stdout."""
    import json

    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ms // 1000))
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    out("%s %s: [%s] %s %s" % (stamp, LOG_ERROR, context, message, data))


def create_sync(params, mode, priority):
    """`create --mode sync`: the whole generation, then the result (create-sync-*)."""
    err("- 初始化中...")
    latency_ms = max(0, int(env_float("FAKE_CREATOR_LATENCY", 2.0) * 1000))
    lose = os.environ.get("FAKE_CREATOR_LOSE_TOPIC", "")
    con = open_db()
    task = in_transaction(
        con, lambda: insert_task(con, None, mode, params, priority, "running", latency_ms, 0, lose)
    )
    con.close()
    task_id, topic = task["id"], task["topic"]
    log_error(task["created_ms"], "Search",
              "Search API request failed getaddrinfo ENOTFOUND api.tavily.com", {"context": "Search"})
    log_error(task["created_ms"], "SearchNode", "Search failed", {
        "context": "SearchNode", "taskId": task_id, "topic": topic,
        "error": "Search API error: undefined - undefined",
    })
    time.sleep(latency_ms / 1000)

    done = now_ms()
    failure = task["fail_message"]
    if failure:
        write_failure_logs(done, task_id, failure, latency_ms)
    con = open_db()
    in_transaction(con, lambda: con.execute(
        "UPDATE tasks SET status = ?, version = ?, error_message = ?, completed_ms = ?, updated_ms = ? "
        "WHERE id = ? AND status = 'running'",  # a `cancel` meanwhile stands (the output does not change)
        ("failed" if failure else "completed", 5 if failure else 3, failure, done, done, task_id),
    ))
    con.close()

    err("%s 任务执行完成!" % GREEN_TICK)
    out()
    out("✅ 执行成功")
    out(SEP)
    out("任务ID: %s" % task_id)
    out("状态: %s" % ("失败" if failure else "已完成"))
    out("耗时: %s" % duration_text(done - task["created_ms"]))
    out("步骤: ")
    out("Token: 0")
    out("成本: ¥0.0000")
    out(SEP)
    if failure:
        return 0
    text = article_for(task)
    for title, lines in (
        ("📝 生成的内容:", [text]),
        ("🖼️ 生成的配图:", [image_url(task)]),
        ("🔍 文本质检:", ["状态: 通过", "评分: %s/100" % quality_score(task)]),
    ):
        out()
        out(title)
        out(SEP)
        for line in lines:
            out(line)
        out(SEP)
    return 0


def write_failure_logs(ms, task_id, message, latency_ms):
    """The log lines of a generation whose LLM call failed (create-sync-failed)."""
    where = "\n    at fake-content-creator (sync generation)"
    executor = {"context": "SyncExecutor", "taskId": task_id, "workflowType": WORKFLOW_TYPE}
    log_error(ms, "LLM:Enhanced", "LLM API request failed after retries", {
        "context": "LLM:Enhanced", "error": message, "duration": latency_ms, "stream": True,
    })
    log_error(ms, "WriteNode", "Write failed", {
        "context": "WriteNode", "taskId": task_id, "mode": "initial",
        "error": {"message": message, "stack": "AxiosError: " + message + where},
    })
    log_error(ms, "Node:write", "Node execution failed", {
        "context": "Node:write", "nodeId": "write", "taskId": task_id, "error": message, "duration": latency_ms,
    })
    log_error(ms, "SyncExecutor", "Workflow execution error", dict(executor, error=message))
    log_error(ms, "SyncExecutor", "Task execution failed",
              dict(executor, error=message, stack="Error: " + message + where))


def _valid_image_size(value):
    w, x, h = value.partition("x")
    return bool(x) and w.isdigit() and h.isdigit() and w.isascii() and h.isascii()


def not_found(task_id, winston):
    err("❌ 错误: 未找到任务 %s" % task_id)
    if winston:
        err(WINSTON.rstrip("\n"))
    raise Exit(1)


def cmd_status(args):
    opts = parse_options(args, {"task-id": TASK_ID_OPT})
    task_id = require(opts, "task-id", TASK_ID_OPT[2])
    con = open_db()
    task = find_task(con, task_id)
    con.close()
    if task is None:
        not_found(task_id, winston=True)
    out()
    out("📊 任务状态")
    out(SEP)
    out("任务ID: %s" % task["id"])
    out("状态: %s" % STATUS_TEXT.get(task["status"], task["status"]))
    out("当前步骤: 无")
    out("执行模式: %s" % ("同步" if task["mode"] == "sync" else "异步"))
    out("优先级: 普通")
    out(SEP)
    out("创建时间: %s" % local_time(task["created_ms"]))
    if task["started_ms"] is not None:
        out("开始时间: %s" % local_time(task["started_ms"]))
    if task["completed_ms"] is not None:
        out("完成时间: %s" % local_time(task["completed_ms"]))
        out("总耗时: %s" % duration_text(task["completed_ms"] - task["created_ms"]))
    out(SEP)
    if task["error_message"]:
        out("错误信息:")
        out(task["error_message"])
        out(SEP)
    if task["worker_id"]:
        out("Worker ID: %s" % task["worker_id"])
        out(SEP)
    err(WINSTON.rstrip("\n"))
    return 0


def cmd_result(args):
    spec = {"task-id": TASK_ID_OPT, "format": (None, True, "--format <format>")}
    opts = parse_options(args, spec)
    task_id = require(opts, "task-id", TASK_ID_OPT[2])
    fmt = opts.get("format", "text")
    con = open_db()
    task = find_task(con, task_id)
    con.close()
    if task is None:
        not_found(task_id, winston=True)
    if task["status"] != "completed":
        out("⚠️  任务尚未完成，当前状态: %s" % STATUS_TEXT.get(task["status"], task["status"]))
        err(WINSTON.rstrip("\n"))
        return 0
    if fmt == "json":
        out(to_json(record(task)))
        err(WINSTON.rstrip("\n"))
        return 0
    text = article_for(task)
    out()
    out("📄 任务结果")
    out(SEP)
    out("任务ID: %s" % task["id"])
    out("状态: %s" % STATUS_TEXT["completed"])
    out(SEP)
    out()
    out("📋 生成结果")
    out(SEP)
    out("1. ARTICLE")
    out(SEP)
    out("内容:")
    out(text)
    out("字数: %d" % js_length(text))
    out(SEP)
    out("2. IMAGE")
    out(SEP)
    out("图片 URL:")
    out(image_url(task))
    out(SEP)
    err(WINSTON.rstrip("\n"))
    return 0


def cmd_cancel(args):
    opts = parse_options(args, {"task-id": TASK_ID_OPT})
    task_id = require(opts, "task-id", TASK_ID_OPT[2])
    err("- 处理中...")

    def cancel():
        task = find_task(con, task_id, in_txn=True)
        if task is None or task["status"] != "running":
            return task, False
        con.execute(
            "UPDATE tasks SET status = 'cancelled', version = version + 1, updated_ms = ? "
            "WHERE seq = ? AND status = 'running'",
            (now_ms(), task["seq"]),
        )
        return task, True

    con = open_db()
    task, cancelled = in_transaction(con, cancel)
    con.close()
    if task is None:
        err("%s 任务不存在" % RED_CROSS)
        not_found(task_id, winston=False)
    out()
    out("⏹️  取消任务")
    out(SEP)
    out("任务ID: %s" % task_id)
    out("当前状态: %s" % STATUS_TEXT.get(task["status"], task["status"]))
    out(SEP)
    if cancelled:
        err("%s 任务已取消" % GREEN_TICK)
        out("✅ 任务已成功取消")
    else:
        err("%s 取消失败" % RED_CROSS)
        out("⚠️  无法取消任务")
        out("可能原因: 任务已完成、失败或已被取消")
    return 0


def cmd_list(args):
    spec = {
        "status": ("s", True, "-s, --status <status>"),
        "mode": ("m", True, "-m, --mode <mode>"),
        "limit": ("l", True, "-l, --limit <number>"),
        "offset": ("o", True, "-o, --offset <number>"),
        "json": (None, False, "--json"),
    }
    opts = parse_options(args, spec)
    limit = parse_js_int(opts.get("limit"), 20)
    offset = parse_js_int(opts.get("offset"), 0)
    con = open_db()
    sync_transitions(con, "lost = 0")
    where = ["lost = 0"]
    params = []
    if opts.get("status"):
        where.append("status = ?")
        params.append(opts["status"])
    if opts.get("mode"):
        where.append("mode = ?")
        params.append(opts["mode"])
    tasks = select_tasks(
        con,
        "WHERE %s ORDER BY created_ms DESC, seq DESC LIMIT ? OFFSET ?" % " AND ".join(where),
        params + [limit, offset],
    )
    con.close()
    if opts.get("json"):
        out(to_json([record(t) for t in tasks]))
        return 0
    line = "─" * 100
    out(line)
    out("📋 历史任务列表")
    out(line)
    if not tasks:
        out("暂无任务记录")
        out()
        out("💡 提示：使用以下命令创建新任务")
        out('  pnpm run cli:create --topic "文章主题" --requirements "创作要求"')
        out()
        return 0
    words = {"pending": "等待中", "running": "运行中", "completed": "已完成", "failed": "失败", "cancelled": "已取消"}
    now = now_ms()
    for idx, t in enumerate(tasks, 1):
        age = now - t["created_ms"]
        if age < 60000:
            when = "%d秒前" % (age // 1000)
        elif age < 3600000:
            when = "%d分钟前" % (age // 60000)
        elif age < 86400000:
            when = "%d小时前" % (age // 3600000)
        else:
            when = time.strftime("%m/%d %H:%M", time.localtime(t["created_ms"] // 1000))
        if t["started_ms"] is None:
            took = "-"
        elif t["completed_ms"] is None:
            took = "进行中..."
        else:
            d = t["completed_ms"] - t["started_ms"]
            took = "%dms" % d if d < 1000 else ("%ds" % (d // 1000) if d < 60000 else "%dm %ds" % (d // 60000, d % 60000 // 1000))
        out("%d. %s" % (idx, t["topic"]))
        out("   ID:        %s" % t["id"])
        out("   状态:      %s" % words.get(t["status"], t["status"]))
        out("   模式:      %s" % {"sync": "同步", "async": "异步"}.get(t["mode"], t["mode"]))
        out("   创建时间:  %s" % when)
        out("   耗时:      %s" % took)
        if t["error_message"]:
            out("   错误:      %s" % t["error_message"])
        out()
    out("💡 查看任务详情：")
    out("  pnpm run cli:status --task-id <任务ID>")
    out("  pnpm run cli:result --task-id <任务ID>")
    out()
    return 0


def garbage(command, args):
    import hashlib

    state = hashlib.sha256(("garbage\x00%s\x00%s" % (command, "\x00".join(args))).encode("utf-8", "surrogateescape")).digest()
    alphabet = "qwxzjkvbQWXZJKVB#%&*~^|<>;:!?=+_0123456789 ¤§¶¿ÆØßþ░▒▓"
    chunks = []
    for n in range(12):
        state = hashlib.sha256(state).digest()
        text = "".join(alphabet[b % len(alphabet)] for b in state[: 12 + state[0] % 40])
        kind = n % 6
        if kind == 1:
            text = "\x1b[3%dm%s\x1b[0m" % (state[1] % 8, text)
        elif kind == 3:
            text = "{\"%s\": [%s" % (text[:6], text[6:])
        elif kind == 5:
            text = "ERR%02x %s" % (state[2], text)
        chunks.append(text.encode("utf-8") + b"\n")
        if n == 4:
            chunks.append(b"\xff\xfe\x80 " + state[:6].hex().encode() + b" \xc3\n")
        if n == 6 and command == "list":
            chunks.append(b"[\n  {\"id\": \"" + state[:5].hex().encode() + b"\", \"status\": \n")
    sys.stdout.buffer.write(BANNER.encode("utf-8") + b"".join(chunks))
    sys.stdout.buffer.flush()


COMMANDS = {
    "create": cmd_create,
    "status": cmd_status,
    "result": cmd_result,
    "cancel": cmd_cancel,
    "list": cmd_list,
}


def main(argv):
    if not argv:
        command = "help"
    elif argv[0] in ("--version", "-V"):
        command = "version"
    elif argv[0] in ("--help", "-h", "help"):
        command = "help"
    else:
        command = argv[0]
    log_invocation(command)

    delay = env_float("FAKE_CREATOR_STARTUP_DELAY", 0.0)
    if delay > 0:
        time.sleep(delay)

    if knob_applies("FAKE_CREATOR_GARBAGE", command):
        garbage(command, argv[1:])
        return 0

    out(BANNER.rstrip("\n"))
    if knob_applies("FAKE_CREATOR_HANG", command):
        flush()
        while True:
            time.sleep(3600)

    if command == "version":
        out(VERSION)
        return 0
    if command == "help":
        out("Usage: content-creator [options] [command]")
        out()
        out("Commands:")
        out("  create [options]   创建并执行工作流任务")
        out("  status [options]   查询任务状态")
        out("  result [options]   获取任务结果")
        out("  cancel [options]   取消任务执行")
        out("  list [options]     列出历史任务")
        return 0 if argv else 1
    handler = COMMANDS.get(command)
    if handler is None:
        err("error: unknown command '%s'" % command)
        return 1
    return handler(argv[1:])


def run() -> None:
    """The process: ``main`` on the command line, its exit status as the process's."""
    try:
        rc = main(sys.argv[1:])
    except Exit as exc:
        rc = exc.rc
    except KeyboardInterrupt:
        rc = 130
    flush()
    sys.exit(rc)


if __name__ == "__main__":
    run()
