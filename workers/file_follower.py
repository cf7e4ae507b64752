"""Following a log file by name, as ``tail -F`` does: through rotation (renamed and
recreated), truncation and partial last lines, with undecodable bytes as U+FFFD; and
batching the lines read by time and size. Pure Python: no Redis, no Django."""

import os
import time

CHUNK_SIZE = 64 * 1024
MAX_LINE_BYTES = 32 * 1024
MAX_TAIL_BYTES = 1024 * 1024


def decode(raw):
    """A line's text: UTF-8, undecodable bytes as U+FFFD, without its line ending."""
    return raw.rstrip(b"\r").decode("utf-8", errors="replace")


def _split_point(data, limit):
    """Where to cut a too long line at most ``limit`` bytes in: not inside a UTF-8
    character, unless there is no character start near the limit."""
    cut = limit
    while cut > limit - 4 and cut > 0 and 0x80 <= data[cut] < 0xC0:
        cut -= 1
    return cut if cut > limit - 4 and cut > 0 else limit


class Follower:
    """Reads the complete lines appended to ``path`` since the last ``read()``.

    Reading starts at the end of the file as it is when the follower is made (a
    partial last line there is read once it is complete); a file that appears
    later, or replaces a rotated one, is read from its start. ``tail(n)`` gives the last n lines up to what ``read()``
    has returned, so tail plus later reads neither miss nor repeat a line.
    """

    def __init__(self, path, chunk_size=CHUNK_SIZE, max_line_bytes=MAX_LINE_BYTES):
        self.path = os.fspath(path)
        self.chunk_size = chunk_size
        self.max_line_bytes = max_line_bytes
        self._fd = None
        self._identity = None
        self._pos = 0
        self._pending = b""
        self._opened_once = False
        self._open()

    @property
    def offset(self):
        """The byte offset in the current file up to which lines have been returned."""
        return self._pos - len(self._pending)

    def read(self, limit=None):
        """Lines written since the last call (roughly at most ``limit`` bytes of them,
        the rest on later calls), following a rotation or truncation."""
        if self._fd is None:
            if not self._open():
                return []
        lines = self._drain(limit)
        if limit is not None and len(lines) and self._has_more():
            return lines
        identity = self._path_identity()
        if identity is not None and identity != self._identity:
            lines += self._drain(None)
            lines += self._flush_pending()
            self.close()
            if self._open():
                lines += self._drain(limit)
        return lines

    def tail(self, n, max_bytes=MAX_TAIL_BYTES):
        """The last ``n`` lines of the current file before ``offset``."""
        end = self.offset
        if self._fd is None or n <= 0 or end <= 0:
            return []
        start, data = end, b""
        while start > 0 and data.count(b"\n") <= n and end - start < max_bytes:
            step = min(self.chunk_size, start)
            start -= step
            data = os.pread(self._fd, step, start) + data
        raw = data.split(b"\n")
        if start > 0:
            raw = raw[1:]
        if raw and raw[-1] == b"":
            raw.pop()
        lines = []
        for line in raw[-n:]:
            lines += self._pieces(line)
        return lines[-n:]

    def close(self):
        if self._fd is not None:
            os.close(self._fd)
        self._fd = None
        self._identity = None
        self._pos = 0
        self._pending = b""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _open(self):
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            self._opened_once = True
            return False
        stat = os.fstat(fd)
        self._fd, self._identity, self._pending = fd, (stat.st_dev, stat.st_ino), b""
        self._pos = 0 if self._opened_once else self._last_line_start(stat.st_size)
        self._opened_once = True
        return True

    def _last_line_start(self, size):
        """The offset just after the last newline before ``size`` (0 if none near)."""
        start = max(0, size - self.max_line_bytes)
        newline = os.pread(self._fd, size - start, start).rfind(b"\n")
        if newline >= 0:
            return start + newline + 1
        return start if start > 0 else 0

    def _path_identity(self):
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (stat.st_dev, stat.st_ino)

    def _has_more(self):
        return os.fstat(self._fd).st_size > self._pos

    def _drain(self, limit):
        lines = []
        if os.fstat(self._fd).st_size < self._pos:
            lines += self._flush_pending()
            self._pos = 0
        read = 0
        while limit is None or read < limit:
            chunk = os.pread(self._fd, self.chunk_size, self._pos)
            if not chunk:
                break
            self._pos += len(chunk)
            read += len(chunk)
            lines += self._take_lines(chunk)
        return lines

    def _take_lines(self, chunk):
        *complete, self._pending = (self._pending + chunk).split(b"\n")
        lines = []
        for line in complete:
            lines += self._pieces(line)
        while len(self._pending) > self.max_line_bytes:
            cut = _split_point(self._pending, self.max_line_bytes)
            lines.append(decode(self._pending[:cut]))
            self._pending = self._pending[cut:]
        return lines

    def _pieces(self, line):
        pieces = []
        while len(line) > self.max_line_bytes:
            cut = _split_point(line, self.max_line_bytes)
            pieces.append(decode(line[:cut]))
            line = line[cut:]
        pieces.append(decode(line))
        return pieces

    def _flush_pending(self):
        """The partial last line of a file that will not grow any more, as a line."""
        pending, self._pending = self._pending, b""
        return [decode(pending)] if pending else []


class LineBatcher:
    """Gathers lines into batches, so a burst becomes a few messages: a batch is
    ready once it holds ``max_bytes`` (UTF-8) or its first line has waited
    ``max_delay`` seconds."""

    def __init__(self, max_delay=0.05, max_bytes=64 * 1024, clock=time.monotonic):
        self.max_delay = max_delay
        self.max_bytes = max_bytes
        self.clock = clock
        self._lines = []
        self._size = 0
        self._since = None

    def __len__(self):
        return len(self._lines)

    def add(self, lines):
        """Add lines; the batches that became full."""
        full = []
        for line in lines:
            size = len(line.encode("utf-8", "surrogatepass")) + 1
            if self._lines and self._size + size > self.max_bytes:
                full.append(self.flush())
            if not self._lines:
                self._since = self.clock()
            self._lines.append(line)
            self._size += size
        if self._size >= self.max_bytes:
            full.append(self.flush())
        return full

    def due(self):
        """The batch, if its first line has waited ``max_delay``; else None."""
        if self._lines and self.clock() - self._since >= self.max_delay:
            return self.flush()
        return None

    def flush(self):
        """The batch so far (None if empty), starting a new one."""
        if not self._lines:
            return None
        batch, self._lines, self._size, self._since = self._lines, [], 0, None
        return batch


def chunked(lines, max_bytes=64 * 1024):
    """Lines in consecutive batches of at most ``max_bytes`` (UTF-8) each."""
    batcher = LineBatcher(max_delay=0, max_bytes=max_bytes)
    batches = batcher.add(lines)
    rest = batcher.flush()
    return batches + ([rest] if rest else [])
