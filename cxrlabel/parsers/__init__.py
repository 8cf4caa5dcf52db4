"""Parser backends behind one :class:`Parser` protocol, chosen by name (see :func:`get_parser`)."""

from .base import Parser, get_parser

__all__ = ["Parser", "get_parser"]
