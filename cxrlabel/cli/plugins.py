"""``cxrlabel list grammars|parsers|gold|policies``: what is installed, built in or from plugins.

A thin wrapper over :mod:`cxrlabel.registry`. Each line on stdout is ``name<TAB>origin``:
``builtin`` for what ships with cxrlabel, or ``plugin:<distribution>`` for a name that an
installed package adds through the entry-point group of that kind (``cxrlabel.grammars``,
``cxrlabel.parsers``, ``cxrlabel.gold``, ``cxrlabel.policies``). Rule packs also list the
shipped packs of :data:`cxrlabel.rules.packs.PACKS`.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

import click

__all__ = ["KINDS", "list_cmd", "list_plugins"]

#: ``cxrlabel list`` argument → the registry attribute of :mod:`cxrlabel.registry`.
KINDS: dict[str, str] = {
    "grammars": "grammars",
    "parsers": "parsers",
    "gold": "gold",
    "policies": "policies",
}


def _registry(kind: str) -> Any:
    from .. import aggregate  # noqa: F401 - registers the built-in policies on import
    from .. import registry

    return getattr(registry, KINDS[kind])


def list_plugins(kind: str) -> list[tuple[str, str]]:
    """``(name, origin)`` of every available ``kind`` (a key of :data:`KINDS`), sorted by name.

    ``origin`` is ``"builtin"`` or ``"plugin:<distribution name>"``; a name that a plugin
    registers over a built-in one is shown as the built-in (the registry prefers it).
    """
    if kind not in KINDS:
        raise click.BadParameter(f"unknown kind {kind!r}; choose one of: {', '.join(KINDS)}")
    reg = _registry(kind)
    plugin_origin: dict[str, str] = {}
    for ep in entry_points(group=reg.group):
        dist = getattr(ep, "dist", None)
        plugin_origin[ep.name] = f"plugin:{dist.name}" if dist is not None else "plugin"
    names = set(reg.names())
    if kind == "grammars":
        from ..rules.packs import PACKS

        names |= set(PACKS)
        builtin = set(PACKS) | (names - set(plugin_origin))
    else:
        builtin = names - set(plugin_origin)
    return [(n, "builtin" if n in builtin else plugin_origin[n]) for n in sorted(names)]


@click.command("list")
@click.argument("kind", type=click.Choice(sorted(KINDS)), required=False)
def list_cmd(kind: str | None) -> None:
    """List the installed rule packs (grammars), parser backends, gold standards or
    aggregation policies, one `name<TAB>origin` a line; without KIND, all four, each line
    prefixed by its kind."""
    if kind is not None:
        for name, origin in list_plugins(kind):
            click.echo(f"{name}\t{origin}")
        return
    for k in sorted(KINDS):
        for name, origin in list_plugins(k):
            click.echo(f"{k}\t{name}\t{origin}")
