"""cyclopts' help frame in the operator's language, through cyclopts' documented hooks.

- panel titles: the ``group_commands`` / ``group_parameters`` / ``group_arguments`` groups of the
  root app (sub-apps inherit them);
- the ``--help`` and ``--version`` lines: the help text of those flag commands of every app;
- ``Usage:`` and the ``[required]``, ``[default: …]``, ``[choices: …]`` marks: a help formatter
  that renders like :class:`~cyclopts.help.DefaultFormatter` with its own usage line and
  description column.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cyclopts import App, Group

from contenthub_async.texts.messages import text

if TYPE_CHECKING:
    from cyclopts.help import ColumnSpec, HelpEntry, HelpPanel
    from rich.console import Console, ConsoleOptions, RenderableType


def localise_root(app: App) -> App:
    """Title the help panels of ``app`` and of the sub-apps registered on it afterwards (they
    inherit the groups), and use :class:`LocalisedFormatter`."""
    app.group_commands = Group.create_default_commands(text("help.group.commands"))
    app.group_parameters = Group.create_default_parameters(text("help.group.parameters"))
    app.group_arguments = Group.create_default_arguments(text("help.group.arguments"))
    app.help_formatter = LocalisedFormatter()
    return localise_flags(app)


def localise_flags(app: App) -> App:
    """Give the app's ``--help`` and ``--version`` lines their text in the operator's language."""
    for flag, key in (("--help", "help.flag.help"), ("--version", "help.flag.version")):
        if flag in app:
            app[flag].help = text(key)
    return app


def _default_text(value: str) -> str:
    return {"True": text("word.yes"), "False": text("word.no")}.get(value, value)


def describe_entry(entry: HelpEntry) -> RenderableType:
    """A parameter's description followed by its localised choices, default and required marks."""
    from cyclopts.help import InlineText
    from rich.text import Text

    description = entry.description
    if description is None:
        inline = InlineText(Text())
    elif isinstance(description, InlineText):
        inline = description
    elif hasattr(description, "__rich_console__"):
        inline = InlineText(description)
    else:
        inline = InlineText(Text(str(description)))
    if entry.choices:
        inline.append(Text(f"[{text('help.mark.choices', choices=', '.join(entry.choices))}]", "cyclopts.choices"))
    if entry.default is not None:
        inline.append(Text(f"[{text('help.mark.default', value=_default_text(str(entry.default)))}]",
                           "cyclopts.default"))
    if entry.required:
        inline.append(Text(f"[{text('help.mark.required')}]", "cyclopts.required"))
    return inline


def _required_mark(entry: HelpEntry) -> str:
    return "*" if entry.required else ""


def parameter_columns(console: Console, options: ConsoleOptions, entries: list[HelpEntry]) -> tuple[ColumnSpec, ...]:
    """Like cyclopts' default parameter columns, with :func:`describe_entry` for the description."""
    from cyclopts.help import ColumnSpec, NameRenderer

    max_width = max(1, console.width * 35 // 100)
    columns = (
        ColumnSpec(renderer=NameRenderer(max_width=max_width), style="cyclopts.name", max_width=max_width),
        ColumnSpec(renderer=describe_entry, overflow="fold"),
    )
    if any(entry.required for entry in entries):
        return (ColumnSpec(renderer=_required_mark, style="red bold", width=1), *columns)
    return columns


class LocalisedFormatter:
    """cyclopts' default help layout with the frame's words from the catalogs (a HelpFormatter).

    cyclopts' formatters (and rich) are imported only when help is printed.
    """

    def __init__(self) -> None:
        self._formatters: tuple[Any, Any] | None = None

    def _pick(self, panel_format: str) -> Any:
        if self._formatters is None:
            from cyclopts.help import DefaultFormatter

            self._formatters = (DefaultFormatter(), DefaultFormatter(column_specs=parameter_columns))
        commands, parameters = self._formatters
        return commands if panel_format == "command" else parameters

    def __call__(self, console: Console, options: ConsoleOptions, panel: HelpPanel) -> None:
        self._pick(panel.format)(console, options, panel)

    def render_usage(self, console: Console, options: ConsoleOptions, usage: Any) -> None:
        if usage:
            from rich.text import Text

            line = usage if isinstance(usage, Text) else Text(str(usage))
            console.print(Text(text("help.usage"), style="bold") + line)

    def render_description(self, console: Console, options: ConsoleOptions, description: Any) -> None:
        self._pick("command").render_description(console, options, description)
