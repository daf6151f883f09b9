"""``contenthub-ctl completion bash|zsh|fish``: print the shell completion script of the command tree.

The script is static: cyclopts walks the whole tree (importing every lazily registered
command module once) and writes every command, subcommand, option and fixed value (``--format``,
``scheduler create --type``) into it. ``--status`` values are asked of ``contenthub-ctl
__complete`` when Tab is pressed (comma-separated lists complete word by word).
"""

from __future__ import annotations

import sys
from typing import Annotated, Literal

from cyclopts import Parameter

from contenthub_async.cli.errors import EXIT_OK
from contenthub_async.texts.messages import text


def completion(shell: Annotated[Literal["bash", "zsh", "fish"], Parameter(help=text("help.opt.shell"))], /) -> int:
    """Print the completion script for ``shell``."""
    from contenthub_async.cli.main import PROGRAM, build_app

    sys.stdout.write(build_app().generate_completion(prog_name=PROGRAM, shell=shell))
    return EXIT_OK
