"""The ``cxrlabel`` command line: a click group whose subcommands load lazily.

The subcommands are the ``commands`` kind of :mod:`cxrlabel.registry` (built-ins, and any an
installed package adds through the ``cxrlabel.commands`` entry-point group); a command's module
is imported only when that command runs or its help is shown. Each built-in lives in its own
module under ``cxrlabel.cli`` and is a thin wrapper over an importable function. stdout carries
data; stderr carries progress, logs and errors.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

import click

from ..errors import CxrlabelError
from ..registry import commands

__all__ = ["main"]


def _importable(name: str) -> bool:
    """Whether the module of the command ``name`` can be imported here (without importing it)."""
    target = commands.target(name)
    if target is None:
        return True
    try:
        return importlib.util.find_spec(target.partition(":")[0]) is not None
    except ModuleNotFoundError:  # its parent package is not installed
        return False


class LazyGroup(click.Group):
    """Imports a subcommand's module only when that subcommand runs (keeps startup fast)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | {n for n in commands.names() if _importable(n)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        cmd = super().get_command(ctx, cmd_name)
        if cmd is not None:
            return cmd
        if cmd_name not in commands or not _importable(cmd_name):
            return None
        return commands.get(cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        from .faults import interrupted, os_fault, silence_stdout

        try:
            result = super().invoke(ctx)
            if sys.stdout is not None:
                sys.stdout.flush()  # a full disk shows here, not in Python's flush at exit
            return result
        except CxrlabelError as err:
            click.echo(str(err), err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo(str(interrupted(ctx.invoked_subcommand)), err=True)
            sys.exit(130)
        except BrokenPipeError:  # the reader of stdout went away (`| head`): nothing to say
            silence_stdout()
            sys.exit(1)
        except OSError as exc:
            silence_stdout()
            click.echo(str(os_fault(exc)), err=True)
            sys.exit(2)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cxrlabel")
def main() -> None:
    """cxrlabel: label chest X-ray reports with 14 findings, explainably."""
