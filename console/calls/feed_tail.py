"""Following the call-feed file as it grows, is rotated, and outlives the console.

``FeedTail`` hands out the complete lines appended to one file (bytes, without the newline), and
nothing else: parsing is ``console/calls/callfeed.py``'s. Why its own module: what it must get
right is the file, not the format.

- **Growth.** An unchanged file costs one ``stat`` a poll. Only complete lines are consumed;
  a line still being written is picked up once its newline is there.
- **Rotation by rename** (``mv callfeed.jsonl callfeed.jsonl.1``, then a new file). The open
  handle keeps reading the renamed file to its end before the new file is read from its start,
  so lines the adapter wrote to the old file after the last poll are not lost.
- **Copytruncate** (the file is cut to zero and written again) and a file replaced by one with
  other contents: noticed by the size going below the offset or by the file's first bytes
  (its *head*) changing, and read from the start.
- **Restarts.** ``position()`` is where reading stopped (inode, offset, head); a new session
  given it through ``resume()`` continues exactly there: nothing is read twice, and lines
  appended while the console was closed are read, even when the file was renamed meanwhile
  (the renamed file is found beside the feed by its inode and head).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

MAX_READ_BYTES = 1024 * 1024     # per poll; the rest is read on the next poll
MAX_LINE_BYTES = 16 * 1024       # a longer "line" is garbage, skipped as one bad line
HEAD_BYTES = 64                  # the file's first bytes tell one file from another


@dataclass(frozen=True)
class FeedPosition:
    """Where reading stopped: which file (inode and first bytes) and how far into it."""

    inode: int
    offset: int
    head: bytes

    def to_text(self) -> str:
        return json.dumps({"inode": self.inode, "offset": self.offset, "head": self.head.hex()})

    @classmethod
    def from_text(cls, text: str) -> FeedPosition | None:
        try:
            data = json.loads(text)
            return cls(int(data["inode"]), int(data["offset"]), bytes.fromhex(data["head"]))
        except (ValueError, KeyError, TypeError):
            return None


class FeedTail:
    """One feed file, followed. ``read_lines()`` about once a second."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.more = False                  # the last read stopped at MAX_READ_BYTES: more is waiting
        self.too_long = 0                  # over-long lines skipped (the reader counts them as bad)
        self._fh: BinaryIO | None = None
        self._inode: int | None = None
        self._head = b""
        self._skipping = False             # inside a cut or over-long line

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    # -- where to begin ---------------------------------------------------------------------
    def start_at_tail(self, window: int) -> None:
        """Begin near the end of the file (no saved position); a cut line is dropped."""
        try:
            st = os.stat(self.path)
        except OSError:
            return
        if not self._open(self.path, st.st_ino):
            return
        if st.st_size > window:
            self.offset = st.st_size - window
            self._skipping = self._byte_at(self.offset - 1) != b"\n"

    def resume(self, saved: FeedPosition) -> bool:
        """Continue where a previous session stopped. False when neither the feed nor a renamed
        file beside it is the saved file any more (then the caller decides where to begin)."""
        try:
            st = os.stat(self.path)
        except OSError:
            st = None
        if st is not None and st.st_ino == saved.inode and st.st_size >= saved.offset \
                and self._open(self.path, st.st_ino) and self._head_matches(saved.head):
            self.offset = saved.offset
            return True
        self.close()
        for sibling in sorted(self.path.parent.glob(self.path.name + "*")):
            try:
                if sibling == self.path or sibling.stat().st_ino != saved.inode:
                    continue
            except OSError:
                continue
            if self._open(sibling, saved.inode) and self._head_matches(saved.head):
                self.offset = saved.offset     # finish the renamed file, then the new one from 0
                return True
            self.close()
        if st is not None:                     # the saved file is gone: all of this one is newer
            self._open(self.path, st.st_ino)
            self.offset = 0
            return True
        return False

    def position(self) -> FeedPosition | None:
        if self._inode is None:
            return None
        return FeedPosition(self._inode, self.offset, self._head)

    # -- reading ------------------------------------------------------------------------------
    def read_lines(self) -> list[bytes]:
        """The complete lines appended since the last read (blank ones dropped)."""
        try:
            st: os.stat_result | None = os.stat(self.path)
        except OSError:
            st = None
        lines: list[bytes] = []
        if self._fh is not None and (st is None or st.st_ino != self._inode):
            # renamed away (or removed): what was appended to it since the last poll comes first
            lines += self._drain()
            if st is None or self.more:
                return lines                   # the adapter may still append; the rest next poll
            self.close()
            self.offset, self._skipping, self._inode = 0, False, None
        if st is None:
            return lines
        if self._fh is None:
            if not self._open(self.path, st.st_ino):
                return lines
        elif st.st_size == self.offset:
            return lines                       # unchanged: one stat
        if st.st_size < self.offset or not self._head_matches(self._head):
            self.offset, self._skipping = 0, False        # truncated or rewritten: a new file
            self._head = self._read_head()
        return lines + self._drain()

    def _drain(self) -> list[bytes]:
        assert self._fh is not None
        self._fh.seek(self.offset)
        chunk = self._fh.read(MAX_READ_BYTES)
        self.more = len(chunk) == MAX_READ_BYTES
        if self.offset == 0 and chunk:
            self._head = chunk[:HEAD_BYTES]
        return self._consume(chunk)

    def _consume(self, chunk: bytes) -> list[bytes]:
        end = chunk.rfind(b"\n")
        if end < 0:
            if len(chunk) >= MAX_LINE_BYTES:           # no end in sight: give up on this line
                if not self._skipping:
                    self.too_long += 1
                self.offset += len(chunk)
                self._skipping = True
            return []
        complete = chunk[: end + 1]
        self.offset += len(complete)
        out: list[bytes] = []
        for raw in complete.split(b"\n")[:-1]:
            if self._skipping:                          # the tail of a cut or over-long line
                self._skipping = False
                continue
            if raw.strip():
                out.append(raw)
        return out

    # -- the file -------------------------------------------------------------------------------
    def _open(self, path: Path, inode: int) -> bool:
        self.close()
        try:
            self._fh = open(path, "rb")  # noqa: SIM115 - held across polls, closed by close()
        except OSError:
            return False
        self._inode = os.fstat(self._fh.fileno()).st_ino if inode is None else inode
        self._head = self._read_head()
        return True

    def _read_head(self) -> bytes:
        if self._fh is None:
            return b""
        try:
            return os.pread(self._fh.fileno(), HEAD_BYTES, 0)
        except OSError:
            return b""

    def _head_matches(self, head: bytes) -> bool:
        """The open file still starts with ``head`` (or with as much of it as it has grown to)."""
        now = self._read_head()
        return now[:len(head)] == head[:len(now)] if head else True

    def _byte_at(self, offset: int) -> bytes:
        if self._fh is None or offset < 0:
            return b"\n"
        try:
            return os.pread(self._fh.fileno(), 1, offset)
        except OSError:
            return b""
