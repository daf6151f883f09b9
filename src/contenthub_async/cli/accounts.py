"""Account commands: add, list, show, update (publisher and credentials), disable, enable."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from cyclopts import Parameter

from contenthub_async.cli import runtime
from contenthub_async.cli.errors import EXIT_OK, CliError, invalid_field, usage
from contenthub_async.cli.output import (
    Column,
    local_time,
    or_dash,
    print_fields,
    print_json,
    print_lines,
    print_table,
    utc_iso,
)
from contenthub_async.cli.params import Format, strict_int
from contenthub_async.texts.messages import text

if TYPE_CHECKING:
    from contenthub_async.domain.entities import Account

MAX_NAME_LENGTH = 200  # ck_accounts_name_length
MAX_TEXT_LENGTH = 100  # same bound as a task's category and tone
MAX_DESCRIPTION_LENGTH = 2000

AccountId = Annotated[int, Parameter(converter=strict_int, help=text("help.opt.account_id"))]


def account_json(account: Account) -> dict[str, Any]:
    """The account object (docs/cli-json.md)."""
    return {
        "id": account.id,
        "name": account.name,
        "platform": account.platform,
        "category": account.category,
        "tone": account.tone,
        "description": account.description,
        "is_active": account.is_active,
        "publisher": account.publisher,
        "credentials_ref": account.credentials_ref,
        "created_at": utc_iso(account.created_at),
        "updated_at": utc_iso(account.updated_at),
    }


def _clean(field: str, value: str | None, limit: int, *, required: bool = False) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value:
        if required:
            raise invalid_field(field, "empty")
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value if ch not in "\t\n\r"):
        raise invalid_field(field, "control_characters")
    if len(value) > limit:
        raise invalid_field(field, "too_long", limit=limit, length=len(value))
    return value


def add(
    *,
    name: Annotated[str, Parameter(name="--name", allow_leading_hyphen=True, help=text("help.opt.name"))],
    account_id: Annotated[int | None, Parameter(name="--id", converter=strict_int, help=text("help.opt.id"))] = None,
    platform: Annotated[
        str | None, Parameter(name="--platform", allow_leading_hyphen=True, help=text("help.opt.platform"))
    ] = None,
    category: Annotated[
        str | None, Parameter(name="--category", allow_leading_hyphen=True, help=text("help.opt.category"))
    ] = None,
    tone: Annotated[str | None, Parameter(name="--tone", allow_leading_hyphen=True, help=text("help.opt.tone"))] = None,
    description: Annotated[
        str | None, Parameter(name="--description", allow_leading_hyphen=True, help=text("help.opt.description"))
    ] = None,
    fmt: Format = "table",
) -> int:
    """Add an account (the database must exist: ``db init``)."""
    clean_name = _clean("name", name, MAX_NAME_LENGTH, required=True)
    assert clean_name is not None
    if account_id is not None and account_id < 1:
        raise invalid_field("id", "not_positive_integer")
    values = {
        "platform": _clean("platform", platform, MAX_TEXT_LENGTH),
        "category": _clean("category", category, MAX_TEXT_LENGTH),
        "tone": _clean("tone", tone, MAX_TEXT_LENGTH),
        "description": _clean("description", description, MAX_DESCRIPTION_LENGTH),
    }

    async def insert() -> Account:
        from contenthub_async.store import accounts as account_store

        async with runtime.open_database() as db:
            async with db.write() as conn:
                if account_id is not None and await account_store.get_account(conn, account_id):
                    raise usage("error.duplicate_account_id", account_id=account_id)
                if await account_store.get_account_by_name(conn, clean_name):
                    raise usage("error.duplicate_account_name", name=clean_name)
                return await account_store.insert_account(
                    conn, name=clean_name, now=runtime.clock().now(), account_id=account_id, **values
                )

    account = runtime.run(insert)
    if fmt == "json":
        print_json(account_json(account))
    else:
        print_lines([text("account.added", account_id=account.id, name=account.name)])
    return EXIT_OK


def list_(*, fmt: Format = "table") -> int:
    """List accounts."""
    from contenthub_async.store import accounts as account_store

    async def load() -> list[Account]:
        async with runtime.open_database() as db:
            async with db.read() as conn:
                return await account_store.list_accounts(conn)

    accounts = runtime.run(load)
    if fmt == "json":
        print_json([account_json(a) for a in accounts])
        return EXIT_OK
    if not accounts:
        print_lines([text("account.list_empty")])
        return EXIT_OK
    columns = [
        Column(text("label.id"), right=True),
        Column(text("label.name"), shrink=12),
        Column(text("label.platform"), shrink=8, drop=3),
        Column(text("label.category"), shrink=8, drop=4),
        Column(text("label.tone"), shrink=8, drop=5),
        Column(text("label.state")),
        Column(text("label.created_at"), drop=2),
    ]
    rows = [
        [
            (str(a.id), None),
            (a.name, None),
            (or_dash(a.platform), None),
            (or_dash(a.category), None),
            (or_dash(a.tone), None),
            (text("word.active") if a.is_active else text("word.disabled"), None if a.is_active else "red"),
            (local_time(a.created_at, seconds=False), None),
        ]
        for a in accounts
    ]
    print_table(columns, rows)
    return EXIT_OK


def _set_active(account_id: int, active: bool, fmt: str) -> int:
    from contenthub_async.store import accounts as account_store

    async def change() -> Account:
        async with runtime.open_database() as db:
            async with db.write() as conn:
                if not await account_store.set_account_active(conn, account_id, active, now=runtime.clock().now()):
                    raise CliError("error.account_not_found", account_id=account_id)
                account = await account_store.get_account(conn, account_id)
        assert account is not None
        return account

    account = runtime.run(change)
    if fmt == "json":
        print_json(account_json(account))
    else:
        key = "account.enabled" if active else "account.disabled"
        print_lines([text(key, account_id=account.id, name=account.name)])
    return EXIT_OK


def disable(account_id: AccountId, /, *, fmt: Format = "table") -> int:
    """Disable an account: new tasks for it are refused."""
    return _set_active(account_id, False, fmt)


def enable(account_id: AccountId, /, *, fmt: Format = "table") -> int:
    """Enable an account again."""
    return _set_active(account_id, True, fmt)


def _load(account_id: int) -> Account:
    from contenthub_async.store import accounts as account_store

    async def load() -> Account | None:
        async with runtime.open_database() as db:
            async with db.read() as conn:
                return await account_store.get_account(conn, account_id)

    account = runtime.run(load)
    if account is None:
        raise CliError("error.account_not_found", account_id=account_id)
    return account


def _masked_credentials(account: Account) -> tuple[dict[str, str] | None, str | None]:
    """(each credential masked, or None; why they cannot be read, or None)."""
    from contenthub_async.publishers.credentials import load_credentials, mask
    from contenthub_async.publishers.port import PublishError

    if not account.credentials_ref:
        return None, None
    try:
        found = load_credentials(account.credentials_ref)
    except PublishError as exc:
        return None, exc.message
    return {key: mask(value) for key, value in found.items()}, None


def show(account_id: AccountId, /, *, fmt: Format = "table") -> int:
    """Show an account, its publisher and its credentials (masked)."""
    account = _load(account_id)
    masked, problem = _masked_credentials(account)
    if fmt == "json":
        print_json({**account_json(account), "credentials": masked, "credentials_error": problem})
        return EXIT_OK
    default = runtime.settings().CONTENTHUB_PUBLISHER
    publisher = account.publisher or text("account.publisher_default", spec=default)
    credentials = (", ".join(f"{k}={v}" for k, v in masked.items()) if masked is not None
                   else problem or text("word.none"))
    print_fields([
        (text("label.id"), str(account.id)),
        (text("label.name"), account.name),
        (text("label.platform"), or_dash(account.platform)),
        (text("label.category"), or_dash(account.category)),
        (text("label.tone"), or_dash(account.tone)),
        (text("label.state"), text("word.active") if account.is_active else text("word.disabled")),
        (text("label.publisher"), publisher),
        (text("label.credentials"), f"{account.credentials_ref} ({credentials})" if account.credentials_ref
         else text("word.none")),
        (text("label.created_at"), local_time(account.created_at)),
    ])
    return EXIT_OK


def update(
    account_id: AccountId,
    /,
    *,
    publisher: Annotated[
        str | None, Parameter(name="--publisher", allow_leading_hyphen=True, help=text("help.opt.publisher"))
    ] = None,
    credentials: Annotated[
        str | None, Parameter(name="--credentials", allow_leading_hyphen=True, help=text("help.opt.credentials"))
    ] = None,
    fmt: Format = "table",
) -> int:
    """Set the account's publisher (``--publisher ""``: back to CONTENTHUB_PUBLISHER) and where its
    platform credentials are (``--credentials env:NAME|file:PATH``; ``""``: none)."""
    from contenthub_async.publishers.credentials import InvalidCredentialsRef, check_ref
    from contenthub_async.publishers.specs import InvalidSpec, parse_spec
    from contenthub_async.store import accounts as account_store

    if publisher is None and credentials is None:
        raise usage("error.account_update_nothing")
    values: dict[str, str | None] = {}
    if publisher is not None:
        try:
            values["publisher"] = str(parse_spec(publisher)) if publisher.strip() else None
        except InvalidSpec as exc:
            raise usage("error.publisher_spec", spec=publisher, reason=text(f"publisher.invalid.{exc.reason}")) from None
    if credentials is not None:
        try:
            values["credentials_ref"] = check_ref(credentials) if credentials.strip() else None
        except InvalidCredentialsRef:
            raise usage("error.credentials_ref", ref=credentials) from None

    async def change() -> Account:
        async with runtime.open_database() as db:
            async with db.write() as conn:
                if not await account_store.update_account(conn, account_id, values, now=runtime.clock().now()):
                    raise CliError("error.account_not_found", account_id=account_id)
                account = await account_store.get_account(conn, account_id)
        assert account is not None
        return account

    account = runtime.run(change)
    if fmt == "json":
        print_json(account_json(account))
    else:
        print_lines([text("account.updated", account_id=account.id, name=account.name)])
    return EXIT_OK
