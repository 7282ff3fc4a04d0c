"""The ``zkalert`` command line: one typer app (:mod:`.app`) with its command groups."""

from zkalert.cli.app import app, main

__all__ = ["app", "main"]
