"""``http://…`` / ``https://…``: the content-publisher service of the original system.

``POST {URL}/api/publish`` with ``Authorization: Bearer $PUBLISHER_API_KEY`` and JSON
``{markdown, title, theme, account: {appId, appSecret}}``; the Markdown carries front matter with
``title`` and ``cover`` (the first image). When the article has local image files they are
uploaded with it: the same fields as a ``multipart/form-data`` form (``account`` as a JSON
string) plus one ``images`` file part per image, the Markdown pointing at their file names.
The answer's ``media_id`` (top level or under ``data``) becomes the external id, ``url`` the URL.

408, 429 and 5xx answers, timeouts and connection failures are retryable; other 4xx answers
are permanent. Credentials and the API key are sent, never logged and never put in an error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from contenthub_async.publishers.port import Article, Publication, PublishError

RETRYABLE_STATUS = frozenset({408, 429})
BODY_TAIL = 300


class HttpPublisher:
    def __init__(self, base_url: str, *, api_key: str | None, timeout: float) -> None:
        self.spec = base_url
        self.endpoint = base_url.rstrip("/") + "/api/publish"
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.AsyncClient(timeout=timeout, headers=headers, follow_redirects=False)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def publish(self, article: Article) -> Publication:
        uploads = _local_images(article.images)
        markdown = article.markdown
        for image, path in uploads:
            markdown = markdown.replace(f"]({image})", f"]({path.name})")
        cover = uploads[0][1].name if uploads else (article.images[0] if article.images else None)
        fields: dict[str, Any] = {
            "markdown": _with_front_matter(article.title, cover, markdown),
            "title": article.title,
            "theme": (article.credentials or {}).get("theme", "default"),
            "account": {k: v for k, v in (article.credentials or {}).items() if k in ("appId", "appSecret")},
        }
        try:
            if uploads:
                form = {**fields, "account": json.dumps(fields["account"])}
                files = [("images", (path.name, path.read_bytes())) for _, path in uploads]
                response = await self._client.post(self.endpoint, data=form, files=files)
            else:
                response = await self._client.post(self.endpoint, json=fields)
        except httpx.TimeoutException:
            raise PublishError(f"{self.endpoint}: no answer in time", retryable=True) from None
        except httpx.TransportError as exc:
            raise PublishError(f"{self.endpoint}: {type(exc).__name__}: {exc}", retryable=True) from None
        except OSError as exc:
            raise PublishError(f"cannot read an image: {exc.strerror or exc}", retryable=True) from None
        return _publication(response)


def _local_images(images: list[str]) -> list[tuple[str, Path]]:
    """(reference in the Markdown, file) of each image that is a local file."""
    found = []
    for image in images:
        if "://" in image and not image.startswith("file://"):
            continue
        path = Path(image.removeprefix("file://"))
        if path.is_file():
            found.append((image, path))
    return found


def _with_front_matter(title: str, cover: str | None, markdown: str) -> str:
    lines = ["---", f"title: {json.dumps(title, ensure_ascii=False)}"]
    if cover:
        lines.append(f"cover: {json.dumps(cover, ensure_ascii=False)}")
    return "\n".join([*lines, "---", "", markdown])


def _publication(response: httpx.Response) -> Publication:
    status = response.status_code
    if status >= 400:
        body = " ".join(response.text.split())[:BODY_TAIL]
        retryable = status in RETRYABLE_STATUS or status >= 500
        raise PublishError(f"content-publisher answered HTTP {status}: {body}", retryable=retryable)
    try:
        answer = response.json()
    except ValueError:
        answer = None
    data = answer.get("data") if isinstance(answer, dict) and isinstance(answer.get("data"), dict) else answer
    media_id = data.get("media_id") if isinstance(data, dict) else None
    if not isinstance(media_id, str | int) or str(media_id) == "":
        raise PublishError(f"content-publisher answered HTTP {status} without a media_id", retryable=False)
    url = data.get("url") if isinstance(data, dict) else None
    return Publication(str(media_id), url if isinstance(url, str) and url else None)
