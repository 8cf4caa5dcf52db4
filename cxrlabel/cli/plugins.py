"""``cxrlabel list [KIND]``: what is installed, built in or from plugins.

A thin wrapper over :mod:`cxrlabel.registry`: KIND is one of its :data:`~cxrlabel.registry.KINDS`
(``commands``, ``gold``, ``grammars``, ``models``, ``parsers``, ``policies``, ``schemes``). Each line on
stdout is ``name<TAB>origin``: ``builtin`` for what ships with cxrlabel, or
``plugin:<distribution>`` for a name that an installed package adds through the entry-point
group of that kind (``cxrlabel.grammars``, ``cxrlabel.parsers``, ...).
"""

from __future__ import annotations

import click

from ..registry import KINDS

__all__ = ["list_cmd", "list_plugins"]


def list_plugins(kind: str) -> list[tuple[str, str]]:
    """``(name, origin)`` of every available ``kind`` (a key of
    :data:`cxrlabel.registry.KINDS`), sorted by name.

    ``origin`` is ``"builtin"``, ``"registered"`` (at run time, in this process) or
    ``"plugin:<distribution name>"``; a name that a plugin registers over a built-in one is
    shown as the built-in (the registry prefers it).
    """
    if kind not in KINDS:
        raise click.BadParameter(f"unknown kind {kind!r}; choose one of: {', '.join(sorted(KINDS))}")
    reg = KINDS[kind]
    return [(name, reg.origin(name)) for name in reg.names()]


@click.command("list")
@click.argument("kind", type=click.Choice(sorted(KINDS)), required=False)
def list_cmd(kind: str | None) -> None:
    """List the installed rule packs (grammars), parser backends, gold standards, aggregation
    policies, label schemes (schemes), subcommands (commands) or vision models (models), one `name<TAB>origin` a line;
    without KIND, every kind, each line prefixed by its kind."""
    if kind is not None:
        for name, origin in list_plugins(kind):
            click.echo(f"{name}\t{origin}")
        return
    for k in sorted(KINDS):
        for name, origin in list_plugins(k):
            click.echo(f"{k}\t{name}\t{origin}")
