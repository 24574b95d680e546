"""The hook both start-up probes share: note when the first *complete* frame reached the terminal, then exit.

Textual writes to the terminal in ``App._display(screen, renderable)``: the compositor's update
(a ``LayoutUpdate`` for the whole screen, or a ``ChopsUpdate`` for dirty spans) becomes escape
sequences on the driver, unless the app is headless, inside ``batch_update``, not yet running or
closed. The first write is not always the whole screen: the console pushes its board from
``on_mount``, inside Textual's start-up batch, so its first full layout is dropped and the first
bytes on the terminal are a few partial spans, with the status line arriving a frame or two
later. So the probe keeps a map of the screen cells written so far (while the screen
``is_first`` accepts is on top) and the first frame is the write after which every cell has
been drawn at least once: what a dispatcher sees as "the board is up".

At that write it appends ``frame <time.time()>`` to the file named by ``LINKAGE_BENCH_REPORT`` and
asks the app to exit; when the interpreter exits it appends ``peak <VmHWM in kB>``, the peak
resident set of this process image from ``/proc/self/status`` (the parent cannot use
``ru_maxrss`` for this: Linux carries the forking parent's high-water mark across ``exec``).
Nothing of the app itself is changed; the probes are subclasses.
"""

from __future__ import annotations

import atexit
import os
import time
from typing import Any

REPORT_ENV = "LINKAGE_BENCH_REPORT"


def _report(line: str) -> None:
    path = os.environ.get(REPORT_ENV)
    if path:
        with open(path, "a", encoding="ascii") as fh:
            fh.write(line + "\n")


def peak_rss_kb() -> int:
    """VmHWM of this process (kB), 0 where /proc is missing."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


atexit.register(lambda: _report(f"peak {peak_rss_kb()}"))


class ExitOnFirstFrame:
    _first_frame_at: float | None = None
    _painted: list[bytearray] | None = None

    def is_first(self, screen: Any) -> bool:
        return True

    def _cover(self, renderable: Any, width: int, height: int) -> bool:
        """Mark the cells this update wrote; True once every cell of the screen has been written."""
        from textual._compositor import ChopsUpdate, LayoutUpdate

        if self._painted is None or len(self._painted) != height or len(self._painted[0]) != width:
            self._painted = [bytearray(width) for _ in range(height)]
        if isinstance(renderable, LayoutUpdate):
            spans = [(y, renderable.region.x, renderable.region.right)
                     for y in range(renderable.region.y, renderable.region.bottom)]
        elif isinstance(renderable, ChopsUpdate):
            spans = list(renderable.spans)
        else:
            spans = [(y, 0, width) for y in range(height)]
        for y, x1, x2 in spans:
            if 0 <= y < height:
                x1, x2 = max(0, x1), min(width, x2)
                if x2 > x1:
                    self._painted[y][x1:x2] = b"\x01" * (x2 - x1)
        return all(all(row) for row in self._painted)

    def _display(self, screen: Any, renderable: Any) -> None:
        app: Any = self
        wrote = (renderable is not None and not app._batch_count and app._running and not app._closed
                 and not app.is_headless and app._driver is not None)
        super()._display(screen, renderable)  # type: ignore[misc]  # Textual private, untyped here
        if not wrote or self._first_frame_at is not None or not self.is_first(screen):
            return
        size = app.size
        if self._cover(renderable, size.width, size.height):
            self._first_frame_at = time.time()
            _report(f"frame {self._first_frame_at!r}")
            app.exit()
