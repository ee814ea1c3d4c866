"""Private: the root command group — lazily loaded command groups and the one error boundary.

A command group's module is imported only when that group runs (or its help is shown), so start-up pays only for
what the command needs. Everything a command raises ends here as one error in the one shape (`_errors.report`):
usage errors exit 2, anything else 1, and no traceback ever reaches the user.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from collections.abc import Sequence
from difflib import get_close_matches
from typing import Any

import typer
from typer.core import TyperGroup

from fractalops.cli._config import set_url_flag
from fractalops.cli._errors import USAGE_EXIT, CliError, json_requested, report, request_json

try:  # typer >= 0.20 vendors click
    from typer._click import exceptions as _click_exc
except ImportError:  # pragma: no cover - older typer uses click itself
    from click import exceptions as _click_exc  # type: ignore[no-redef]

__all__ = ["RootGroup", "LAZY_GROUPS"]

LAZY_GROUPS: dict[str, tuple[str, str]] = {}
"""Command group name -> (module exposing a `typer.Typer` named `app`, one-line help). Filled by `main`."""


def _plain_help(command: Any) -> None:
    # Typer's rich help renders every flag as `--flag <bool>`; click's plain help shows `--flag`, and is fast.
    command.rich_markup_mode = None
    for sub in (getattr(command, "commands", None) or {}).values():
        _plain_help(sub)


class RootGroup(TyperGroup):
    """`fractalops`: root commands plus lazily imported groups, behind one error boundary."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in LAZY_GROUPS if n not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in LAZY_GROUPS:
            module_name, help_text = LAZY_GROUPS[cmd_name]
            group = typer.main.get_group(importlib.import_module(module_name).app)
            group.name, group.help = cmd_name, group.help or help_text
            _plain_help(group)
            self.commands[cmd_name] = group
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name not in self.commands:
                rows.append((name, LAZY_GROUPS[name][1]))
            elif not (command := self.commands[name]).hidden:
                # The docstring's first paragraph, whole: click's own cut stops at the first "e." of "(e.g.".
                rows.append((name, command.short_help or inspect.cleandoc(command.help or "").split("\n\n")[0]))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except _click_exc.UsageError as exc:
            if args and (matches := get_close_matches(args[0], self.list_commands(ctx))):
                exc.message = f"{exc.message.rstrip('.')}. Did you mean {', '.join(map(repr, matches))}?"
            raise

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        request_json("--json" in (argv[: argv.index("--")] if "--" in argv else argv))
        set_url_flag(None)
        try:
            code = _run(lambda: super(RootGroup, self).main(args=argv, prog_name=prog_name or "fractalops",
                                                           complete_var=complete_var, standalone_mode=False, **extra))
        finally:
            set_url_flag(None)  # one invocation's --url never leaks into the next (in-process callers, tests)
            request_json(False)
        if standalone_mode:
            sys.exit(code)
        return code


def _run(invoke: Any) -> int:
    """Run the command tree; return its exit code, reporting every error in the one shape."""
    as_json = json_requested()
    try:
        result = invoke()
        return result if isinstance(result, int) else 0
    except _click_exc.NoArgsIsHelpError as exc:
        sys.stdout.write(exc.ctx.get_help() + "\n")
        return USAGE_EXIT
    except _click_exc.UsageError as exc:
        where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
        report(exc.format_message() + where, error_type="UsageError", as_json=as_json)
        return USAGE_EXIT
    except _click_exc.ClickException as exc:
        report(exc.format_message(), error_type=type(exc).__name__, as_json=as_json)
        return exc.exit_code
    except typer.Abort:
        report("aborted", error_type="Aborted", as_json=as_json)
        return 1
    except CliError as exc:
        report(exc.message, error_type=exc.error_type, as_json=as_json, **exc.extra)
        return exc.code
    except BrokenPipeError:
        # The reader went away (`fractalops threads | head`): say nothing more, and let Python's exit flush nothing.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 1
    except Exception as exc:  # noqa: BLE001 - the boundary: every error is reported, never a traceback
        report(str(exc) or type(exc).__name__, error_type=type(exc).__name__, as_json=as_json)
        return 1
