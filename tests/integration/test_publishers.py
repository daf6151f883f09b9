"""The publishers against real things: the file system (dir:), processes (exec:) and a fake
content-publisher service on a loopback socket (http:)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from contenthub_async.publishers.command import ExecPublisher
from contenthub_async.publishers.directory import DirPublisher
from contenthub_async.publishers.port import Article, PublishError
from contenthub_async.publishers.registry import Publishers
from contenthub_async.publishers.specs import InvalidSpec, parse_spec
from tests.support.fake_publisher import FakePublisher, fake_publisher
from tests.support.processes import alive, write_script


def article(content_id: int = 7, title: str = "AI 技术发展: 2026!", images: list[str] | None = None,
            markdown: str = "# AI 技术发展\n\n正文。\n") -> Article:
    return Article(pool_id=3, content_id=content_id, account_id=49, account_name="科技前沿", title=title,
                   markdown=markdown, summary="正文。", images=images or [], tags=["AI", "技术"], category="技术",
                   task_id="task-0123456789ab", created_at=datetime(2026, 11, 22, 8, 0, tzinfo=UTC),
                   credentials={"appId": "wx1234567890", "appSecret": "s3cret-value"})


async def test_dir_writes_front_matter_and_images_atomically(tmp_path: Path) -> None:
    image = tmp_path / "cover.png"
    image.write_bytes(b"\x89PNG fake")
    root = tmp_path / "published"
    published = await DirPublisher(root).publish(
        article(images=[str(image), "https://cdn.example/x.png"],
                markdown=f"# AI\n\n![封面]({image})\n\n![远程](https://cdn.example/x.png)\n"))
    path = root / published.external_id
    assert published.external_id == "科技前沿/2026-11-22-ai-技术发展-2026.md"
    text = path.read_text(encoding="utf-8")
    assert text.startswith('---\ntitle: "AI 技术发展: 2026!"\ndate: ')
    assert 'tags: ["AI", "技术"]' in text and "content_id: 7" in text and 'task_id: "task-0123456789ab"' in text
    assert "![封面](2026-11-22-ai-技术发展-2026.assets/cover.png)" in text
    assert "(https://cdn.example/x.png)" in text
    assert (path.with_suffix(".assets") / "cover.png").read_bytes() == b"\x89PNG fake"
    assert "s3cret" not in text and "wx1234" not in text
    assert sorted(p.name for p in path.parent.iterdir()) == sorted([path.name, path.with_suffix(".assets").name])


async def test_dir_publishing_again_rewrites_the_same_file(tmp_path: Path) -> None:
    publisher = DirPublisher(tmp_path)
    first = await publisher.publish(article())
    again = await publisher.publish(article())
    other = await publisher.publish(article(content_id=8))  # same title and day, another article
    assert first == again and other.external_id.endswith("-8.md")
    assert len(list((tmp_path / "科技前沿").glob("*.md"))) == 2


async def test_dir_failure_is_retryable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(PublishError) as caught:
        await DirPublisher(blocker).publish(article())
    assert caught.value.retryable


async def test_exec_gets_the_article_on_stdin_and_answers_json(tmp_path: Path) -> None:
    seen = tmp_path / "seen.json"
    script = write_script(tmp_path / "publish.py", f"""
        import json, sys
        data = json.load(sys.stdin)
        open({str(seen)!r}, "w").write(json.dumps(data))
        print(json.dumps({{"external_id": "post-" + str(data["content_id"]), "url": "https://example.com/p/7"}}))
    """)
    publisher = Publishers("dir:/nonexistent", api_key=None, timeout=30).for_account(f"exec:{script} --flag 'a b'")
    published = await publisher.publish(article())
    assert (published.external_id, published.url) == ("post-7", "https://example.com/p/7")
    data = json.loads(seen.read_text())
    assert data["title"] == "AI 技术发展: 2026!" and data["markdown"].startswith("# AI 技术发展")
    assert data["account"] == {"id": 49, "name": "科技前沿",
                               "credentials": {"appId": "wx1234567890", "appSecret": "s3cret-value"}}


@pytest.mark.parametrize(("body", "retryable", "message"), [
    ('import sys; sys.stderr.write("platform is down\\n"); sys.exit(3)', True, "platform is down"),
    ('import sys; sys.stderr.write("title too long\\n"); sys.exit(65)', False, "title too long"),
    ('print("not json")', False, "external_id"),
])
async def test_exec_failures_carry_stderr(tmp_path: Path, body: str, retryable: bool, message: str) -> None:
    script = write_script(tmp_path / "publish.py", f"import sys; sys.stdin.read()\n{body}\n")
    with pytest.raises(PublishError) as caught:
        await ExecPublisher([str(script)], timeout=30, spec="exec:x").publish(article())
    assert caught.value.retryable is retryable and message in caught.value.message


@pytest.mark.slow  # waits out the publish timeout
async def test_exec_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    script = write_script(tmp_path / "publish.py", f"""
        import subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        open({str(pid_file)!r}, "w").write(str(child.pid))
        time.sleep(600)
    """)
    with pytest.raises(PublishError) as caught:
        await ExecPublisher([str(script)], timeout=3, spec="exec:x").publish(article())
    assert caught.value.retryable and "no answer within 3 s" in caught.value.message
    child = int(pid_file.read_text())
    for _ in range(100):  # SIGKILL is delivered at once; give the reaper a moment
        if not alive(child):
            break
        time.sleep(0.1)
    assert not alive(child)


def test_specs() -> None:
    assert str(parse_spec("dir:data/published")) == "dir:data/published"
    assert parse_spec("exec:/opt/bin/post --to 'my blog'").argv == ("/opt/bin/post", "--to", "my blog")
    assert str(parse_spec("https://publisher.internal:8080/")) == "https://publisher.internal:8080"
    for bad in ("ftp://x", "dir:", "exec:'unclosed", "https://user:pw@host", "nonsense"):
        with pytest.raises(InvalidSpec):
            parse_spec(bad)


# ---------------------------------------------------------------- http(s): content-publisher


def http_publisher(fake: FakePublisher, timeout: float = 10) -> Any:
    return Publishers("dir:/nonexistent", api_key=fake.api_key, timeout=timeout).for_account(fake.url)


async def test_http_posts_json_with_bearer_and_credentials() -> None:
    with fake_publisher() as fake:
        publisher = http_publisher(fake)
        try:
            published = await publisher.publish(article(images=["https://cdn.example/cover.png"]))
        finally:
            await publisher.aclose()
    assert (published.external_id, published.url) == ("media-0", "https://mp.example/s/0")
    [request] = fake.received
    assert request.headers["Authorization"] == "Bearer test-api-key"
    assert request.fields["title"] == "AI 技术发展: 2026!" and request.fields["theme"] == "default"
    assert request.fields["account"] == {"appId": "wx1234567890", "appSecret": "s3cret-value"}
    assert request.fields["markdown"].startswith(
        '---\ntitle: "AI 技术发展: 2026!"\ncover: "https://cdn.example/cover.png"\n---\n\n# AI 技术发展')


async def test_http_uploads_local_images_as_multipart(tmp_path: Path) -> None:
    image = tmp_path / "chart.png"
    image.write_bytes(b"\x89PNG chart")
    with fake_publisher() as fake:
        publisher = http_publisher(fake)
        try:
            await publisher.publish(article(images=[str(image)], markdown=f"# AI\n\n![图]({image})\n"))
        finally:
            await publisher.aclose()
    [request] = fake.received
    assert request.files == ["chart.png"] and request.fields["account"]["appId"] == "wx1234567890"
    assert "![图](chart.png)" in request.fields["markdown"] and 'cover: "chart.png"' in request.fields["markdown"]


@pytest.mark.parametrize(("status", "retryable"), [(500, True), (503, True), (429, True), (408, True),
                                                   (400, False), (401, False), (404, False)])
async def test_http_error_answers(status: int, retryable: bool) -> None:
    with fake_publisher(script=[status]) as fake:
        publisher = http_publisher(fake)
        try:
            with pytest.raises(PublishError) as caught:
                await publisher.publish(article())
        finally:
            await publisher.aclose()
    assert caught.value.retryable is retryable and f"HTTP {status}" in caught.value.message
    assert "s3cret" not in caught.value.message and "test-api-key" not in caught.value.message


@pytest.mark.slow  # waits out slow and hung answers
async def test_http_slow_answers_are_waited_for_and_hung_ones_time_out() -> None:
    with fake_publisher(delay=1.0) as fake:
        publisher = http_publisher(fake, timeout=20)
        try:
            assert (await publisher.publish(article())).external_id == "media-0"  # slow but within the timeout
            fake.delay, fake.hang, fake.hang_seconds = 0.0, 1, 5.0
            impatient = http_publisher(fake, timeout=1)
            try:
                with pytest.raises(PublishError) as caught:
                    await impatient.publish(article())
            finally:
                await impatient.aclose()
        finally:
            await publisher.aclose()
    assert caught.value.retryable and "no answer in time" in caught.value.message


async def test_http_connection_refused_is_retryable() -> None:
    with fake_publisher() as fake:
        url = fake.url
    publisher = Publishers("dir:/x", api_key=None, timeout=5).for_account(url)
    try:
        with pytest.raises(PublishError) as caught:
            await publisher.publish(article())
    finally:
        await publisher.aclose()  # type: ignore[attr-defined]
    assert caught.value.retryable
