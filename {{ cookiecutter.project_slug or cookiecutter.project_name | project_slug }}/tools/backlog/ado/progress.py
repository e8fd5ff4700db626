"""Progress on stderr while apply works: a rich bar and one status line on a terminal.

Output that a person or a log needs (phases, the change set, the summary) goes to stdout;
this is only the live view, so pipelines and hooks that capture output stay clean.

Waits (retries, throttling) arrive as ``Waiting`` notes and share ONE status line: on a
terminal it is rewritten in place and cleared by an empty ``Waiting``; elsewhere the first one
is printed once as a single line (so a log explains the pause) and the rest are dropped.
Other notes (the step being written) are shown on a terminal only, a line each.
"""

from __future__ import annotations

import shutil
import sys
import threading
from typing import Any

CLEAR_LINE = "\r\x1b[K"  # back to column 0, erase to the end of the line


class Waiting(str):
    """A note that the tool is waiting; an empty one means the wait is over."""


class Progress:
    def __init__(self, enabled: bool = True, stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self.wanted = enabled
        self.enabled = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self._bar: Any = None
        self._task: Any = None
        self._lock = threading.Lock()
        self._status_shown = False  # terminal: a status line is on screen
        self._waited_once = False  # elsewhere: the single line was printed

    def start(self, label: str, total: int) -> None:
        if not self.enabled:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bar

        with self._lock:
            self._clear_status()
            self._bar = Bar(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[status]}"),
                console=Console(file=self.stream),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(label, total=total, status="")

    def advance(self, count: int) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, count)

    def note(self, message: str) -> None:
        """A passing remark (a wait, a step); see the module docstring for where it shows."""
        with self._lock:
            if isinstance(message, Waiting):
                self._wait_status(str(message))
            elif self.enabled:
                self._clear_status()
                if self._bar is not None:
                    self._bar.console.print(message, markup=False, highlight=False)
                else:
                    print(message, file=self.stream)

    def stop(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.stop()
                self._bar = None
            self._clear_status()

    def _wait_status(self, message: str) -> None:
        if not self.wanted:
            return
        if not self.enabled:
            if message and not self._waited_once:
                self._waited_once = True
                print(f"{message} (further waits not shown)", file=self.stream, flush=True)
            return
        if self._bar is not None:
            self._bar.update(self._task, status=message)
            return
        if not message:
            self._clear_status()
            return
        width = shutil.get_terminal_size().columns - 1  # the last column would wrap the line
        self.stream.write(CLEAR_LINE + message[:width])
        self.stream.flush()
        self._status_shown = True

    def _clear_status(self) -> None:
        if self._status_shown:
            self.stream.write(CLEAR_LINE)
            self.stream.flush()
            self._status_shown = False
