"""Who may use the console, and proof that an action came from one of its own forms.

* Sign-in: when ``CONTENTHUB_API_TOKEN`` is set, a page needs the session cookie the login form
  sets (HttpOnly, SameSite=Strict), or the API's ``Authorization: Bearer <token>``. The cookie
  holds an HMAC of the token, never the token: changing the token signs everyone out.
* CSRF: double-submit. Every page sets a random ``contenthub_csrf`` cookie (SameSite=Strict) and
  puts the same value in each form; an action (always a POST) is refused unless both are there
  and equal. A page of another site can neither read the cookie nor send it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE = "contenthub_session"
CSRF_COOKIE = "contenthub_csrf"
CSRF_FIELD = "csrf"
_SESSION_CONTEXT = b"contenthub console session v1"


def session_value(token: str) -> str:
    return hmac.new(token.encode("utf-8"), _SESSION_CONTEXT, hashlib.sha256).hexdigest()


def token_matches(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8"))


def signed_in(request: Request, token: str | None) -> bool:
    """True without a token; else a valid session cookie or bearer token."""
    if not token:
        return True
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie and hmac.compare_digest(cookie.encode("utf-8"), session_value(token).encode("utf-8")):
        return True
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(given) and token_matches(given.strip(), token)


def csrf_token(request: Request) -> str:
    """The request's CSRF cookie value, or a new one (set it on the response: :func:`keep_csrf`)."""
    current = request.cookies.get(CSRF_COOKIE, "")
    if 32 <= len(current) <= 64 and current.replace("-", "").replace("_", "").isalnum():
        return current
    if not hasattr(request.state, "new_csrf"):
        request.state.new_csrf = secrets.token_urlsafe(32)
    return str(request.state.new_csrf)


def keep_csrf(request: Request, response: Response) -> None:
    """Set the CSRF cookie when this request created the token."""
    new = getattr(request.state, "new_csrf", None)
    if new:
        response.set_cookie(CSRF_COOKIE, new, httponly=True, samesite="strict", path="/",
                            secure=request.url.scheme == "https")


def csrf_valid(request: Request, submitted: str | None) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not submitted:
        return False
    return hmac.compare_digest(cookie.encode("utf-8"), submitted.encode("utf-8"))


def set_session(request: Request, response: Response, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, session_value(token), httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
