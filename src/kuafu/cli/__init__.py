"""The `kuafu` command line: a thin layer over the library, client and server."""

from .main import main

__all__ = ["main"]
