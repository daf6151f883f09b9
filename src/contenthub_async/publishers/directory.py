"""``dir:PATH``: the article as a Markdown file with YAML front matter, for static sites and
manual posting: ``PATH/<account>/<date>-<slug>.md``, its local images copied beside it into
``<date>-<slug>.assets/``. Written atomically (temp file + rename), so a reader never sees half
an article; the external id is the path relative to ``PATH``.

Publishing the same article again writes the same file (the name depends only on the article),
so a retry after a crash replaces the file instead of adding a second one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import anyio

from contenthub_async.publishers.port import Article, Publication, PublishError

MAX_SLUG = 60
_NOT_WORD = re.compile(r"[^\w]+", re.UNICODE)
_CONTENT_ID_LINE = re.compile(r"^content_id: (\d+)$", re.MULTILINE)


def slug(title: str, fallback: str) -> str:
    """Lower-case words of the title joined by ``-`` (Chinese stays Chinese), or ``fallback``."""
    words = _NOT_WORD.sub("-", title.lower()).strip("-_")
    return words[:MAX_SLUG].strip("-_") or fallback


def safe_name(name: str, fallback: str) -> str:
    """A directory name from an account name: no separators, no dot files."""
    cleaned = _NOT_WORD.sub("-", name).strip("-_.")
    return cleaned or fallback


def front_matter(article: Article) -> str:
    """YAML front matter; strings are JSON-quoted (a JSON string is a YAML scalar)."""
    lines = [
        "---",
        f"title: {json.dumps(article.title, ensure_ascii=False)}",
        f"date: {article.created_at.astimezone().isoformat(timespec='seconds')}",
        f"tags: {json.dumps(article.tags, ensure_ascii=False)}",
    ]
    if article.category:
        lines.append(f"category: {json.dumps(article.category, ensure_ascii=False)}")
    lines += [
        f"account: {json.dumps(article.account_name, ensure_ascii=False)}",
        f"content_id: {article.content_id}",
        f"task_id: {json.dumps(article.task_id)}",
        "---",
        "",
    ]
    return "\n".join(lines)


class DirPublisher:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.spec = f"dir:{root}"

    async def publish(self, article: Article) -> Publication:
        try:
            return await anyio.to_thread.run_sync(self._write, article)
        except OSError as exc:
            raise PublishError(f"cannot write under {self.root}: {exc.strerror or exc}", retryable=True) from None

    def target(self, article: Article) -> Path:
        """Where the article goes: the same file every time for the same article."""
        folder = self.root / safe_name(article.account_name, f"account-{article.account_id}")
        stem = f"{article.created_at.astimezone().date().isoformat()}-{slug(article.title, f'content-{article.content_id}')}"
        path = folder / f"{stem}.md"
        if path.exists() and _owner(path) not in (None, article.content_id):
            path = folder / f"{stem}-{article.content_id}.md"  # another article took the name
        return path

    def _write(self, article: Article) -> Publication:
        path = self.target(article)
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in path.parent.glob(f".{path.name}.*.tmp"):  # left by a process killed mid-write
            stale.unlink(missing_ok=True)
        markdown = self._copy_images(article, path)
        _atomic_write(path, front_matter(article) + markdown.rstrip() + "\n")
        return Publication(external_id=path.relative_to(self.root).as_posix())

    def _copy_images(self, article: Article, path: Path) -> str:
        """Copy the article's local image files beside it and point the Markdown at the copies;
        remote images (URLs) stay links."""
        markdown = article.markdown
        assets = path.with_suffix(".assets")
        for image in article.images:
            source = Path(image[len("file://"):] if image.startswith("file://") else image)
            if "://" in image and not image.startswith("file://"):
                continue
            if not source.is_file():
                continue
            assets.mkdir(exist_ok=True)
            copy = assets / source.name
            tmp = assets / f".{source.name}.tmp"
            shutil.copyfile(source, tmp)
            os.replace(tmp, copy)
            markdown = markdown.replace(f"]({image})", f"]({assets.name}/{source.name})")
        return markdown


def _owner(path: Path) -> int | None:
    """The content id in an existing file's front matter (None: not one of ours)."""
    try:
        head = path.read_text(encoding="utf-8")[:4096]
    except OSError:
        return None
    match = _CONTENT_ID_LINE.search(head)
    return int(match.group(1)) if match else None


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
