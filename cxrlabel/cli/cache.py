"""``cxrlabel cache info|clear``: inspect or empty the parse cache."""

from __future__ import annotations

import json

import click

__all__ = ["cache_group"]

_PATH = click.option("--cache", "path", type=click.Path(dir_okay=False), help="Cache file (default: the user cache dir, or $CXRLABEL_CACHE_DIR).")


@click.group("cache")
def cache_group() -> None:
    """The parse cache (sentence text → parse, per parser build) used by batch labeling."""


@cache_group.command("info")
@_PATH
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def info_cmd(path: str | None, as_json: bool) -> None:
    """Print the cache's path, entry count, size on disk and parser versions."""
    from ..cache import ParseCache

    info = ParseCache(path).info()
    if as_json:
        click.echo(json.dumps({"path": str(info.path), "entries": info.entries, "size_bytes": info.size_bytes, "parsers": info.parsers}))
        return
    click.echo(f"path: {info.path}")
    click.echo(f"entries: {info.entries}")
    click.echo(f"size: {info.size_bytes / 1e6:.1f} MB")
    for name, n in sorted(info.parsers.items()):
        click.echo(f"parser: {name} ({n} entries)")


@cache_group.command("clear")
@_PATH
def clear_cmd(path: str | None) -> None:
    """Delete every cached parse (and every sentence decision kept beside them)."""
    from ..cache import ParseCache
    from ..errors import CacheError
    from ..memo_store import PersistentMemo

    cache = ParseCache(path)
    try:
        decisions = PersistentMemo(cache.path).clear() if cache.path.exists() else 0
    except CacheError:  # a damaged file: ParseCache.clear deletes it (and refuses one that is not sqlite)
        decisions = 0
    n = cache.clear()
    click.echo(f"removed {n} cached parses and {decisions} sentence decisions from {cache.path}", err=True)
