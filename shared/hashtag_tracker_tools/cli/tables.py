"""Terminal tables for the CLI's views (rich, already the local runner's dependency)."""

from __future__ import annotations

import io
import shutil
from collections.abc import Collection, Sequence

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

# Used when the output is no terminal (a pipe, a file) and COLUMNS is unset: wide enough
# for `status` on one line per hashtag.
DEFAULT_WIDTH = 200


def one_line(text: str) -> str:
    """Text from the tables (a nickname, a reason) that cannot forge a row or a column."""
    return text if text.isprintable() else repr(text)


def table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, numeric: Collection[int] = ()
) -> str:
    """A plain table; the `numeric` columns (by index) are right-aligned. Cells are Text,
    never markup, so a hashtag or a nickname like '[bold]' prints as it is."""
    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, highlight=False)
    for index, header in enumerate(headers):
        grid.add_column(header, justify="right" if index in numeric else "left", overflow="fold")
    for row in rows:
        grid.add_row(*(Text(one_line(cell)) for cell in row))
    return render(grid)


def render(renderable: Table) -> str:
    buffer = io.StringIO()
    width = shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns
    console = Console(
        file=buffer, width=width, color_system=None, highlight=False, emoji=False, markup=False
    )
    console.print(renderable)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines())
