"""Private: how every `fractalops` command reports an error — one shape, never a traceback.

With `--json`: one document on stdout, `{"ok": false, "error": <message>, "error_type": <kind>, ...extra}`.
Without it: `error: <message>` on stderr, verbatim. Exit 1 for a failed command, 2 for a usage error.
"""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer

__all__ = ["CliError", "fail", "report", "request_json", "json_requested", "USAGE_EXIT"]

USAGE_EXIT = 2
_state = {"json": False}


def request_json(requested: bool) -> None:
    """The root command records whether `--json` is on the command line (errors raised before a command runs)."""
    _state["json"] = requested


def json_requested() -> bool:
    return _state["json"]


class CliError(Exception):
    """An error a command reports in the one shape (the root command prints it and exits with `code`)."""

    def __init__(self, message: str, *, error_type: str = "Error", code: int = 1, **extra: Any) -> None:
        super().__init__(message)
        self.message, self.error_type, self.code, self.extra = message, error_type, code, extra


def report(message: str, *, error_type: str, as_json: bool, **extra: Any) -> None:
    """Print one error in the one shape (JSON document on stdout, or `error: ...` on stderr)."""
    if as_json:
        sys.stdout.write(json.dumps({"ok": False, "error": message, "error_type": error_type, **extra},
                                    indent=2, default=str) + "\n")
        sys.stdout.flush()
        return
    label = "\x1b[1;31merror:\x1b[0m" if sys.stderr.isatty() else "error:"
    sys.stderr.write(f"{label} {message}\n")
    sys.stderr.flush()


def fail(
    error: str | BaseException, as_json: bool | None = None, code: int = 1, *, error_type: str | None = None,
    **extra: Any,
) -> NoReturn:
    """Report `error` and exit with `code`. `error_type` defaults to the exception's class (`Error` for a message);
    `as_json` defaults to whether `--json` was given."""
    message = str(error) or type(error).__name__
    if error_type is None:
        error_type = error.error_type if isinstance(error, CliError) else (
            type(error).__name__ if isinstance(error, BaseException) else "Error")
    if isinstance(error, CliError):
        extra = {**error.extra, **extra}
    report(message, error_type=error_type, as_json=json_requested() if as_json is None else as_json, **extra)
    raise typer.Exit(code)
