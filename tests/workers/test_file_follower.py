"""The file follower and the line batcher of the live log tail, on real temp files."""

import os

import pytest

from workers.file_follower import Follower, LineBatcher, chunked


@pytest.fixture
def log(tmp_path):
    return tmp_path / "app.log"


def append(path, data):
    with open(path, "ab") as file:
        file.write(data if isinstance(data, bytes) else data.encode())


def test_starts_at_the_end_and_reads_new_lines(log):
    append(log, "old 1\nold 2\n")
    with Follower(log) as follower:
        assert follower.read() == []
        append(log, "new 1\nnew 2\n")
        assert follower.read() == ["new 1", "new 2"]
        assert follower.read() == []


def test_tail_gives_the_last_lines_before_what_was_read(log):
    append(log, "".join(f"line {i}\n" for i in range(10)))
    with Follower(log) as follower:
        follower.read()
        assert follower.tail(3) == ["line 7", "line 8", "line 9"]
        assert follower.tail(50) == [f"line {i}" for i in range(10)]
        append(log, "line 10\n")
        assert follower.tail(2) == ["line 8", "line 9"]  # not yet read
        assert follower.read() == ["line 10"]
        assert follower.tail(2) == ["line 9", "line 10"]


def test_tail_reads_back_over_many_chunks(log):
    append(log, "".join(f"line {i}\n" for i in range(5000)))
    with Follower(log, chunk_size=100) as follower:
        follower.read()
        assert follower.tail(1000) == [f"line {i}" for i in range(4000, 5000)]


def test_partial_last_line_waits_for_its_end(log):
    append(log, "done\npart")
    with Follower(log) as follower:
        assert follower.read() == []
        assert follower.tail(5) == ["done"]
        append(log, "ial")
        assert follower.read() == []
        append(log, " line\nnext\n")
        assert follower.read() == ["partial line", "next"]


def test_crlf_and_empty_lines(log):
    log.write_bytes(b"")
    with Follower(log) as follower:
        append(log, b"a\r\n\r\n\nb\n")
        assert follower.read() == ["a", "", "", "b"]


def test_undecodable_bytes_become_replacement_characters(log):
    log.write_bytes(b"")
    with Follower(log) as follower:
        append(log, b"caf\xc3\xa9 \xff\xfe ok\n\xc3\n")
        assert follower.read() == ["café \ufffd\ufffd ok", "\ufffd"]


def test_rotation_by_rename_and_recreate(log, tmp_path):
    append(log, "before\n")
    with Follower(log) as follower:
        follower.read()
        append(log, "last of old\ntail without newline")
        os.rename(log, tmp_path / "app.log.1")
        append(tmp_path / "app.log.1", " written late\n")  # a writer still on the old file
        assert follower.read() == ["last of old", "tail without newline written late"]
        append(log, "first of new\n")
        assert follower.read() == ["first of new"]
        append(log, "second of new\n")
        assert follower.read() == ["second of new"]
        assert follower.tail(5) == ["first of new", "second of new"]


def test_rotation_flushes_the_old_files_partial_line(log, tmp_path):
    log.write_bytes(b"")
    with Follower(log) as follower:
        follower.read()
        append(log, "complete\nhalf")
        os.rename(log, tmp_path / "app.log.1")
        append(log, "new\n")
        assert follower.read() == ["complete", "half", "new"]


def test_file_created_later_is_read_from_its_start(log):
    with Follower(log) as follower:
        assert follower.read() == []
        assert follower.tail(5) == []
        append(log, "one\ntwo\n")
        assert follower.read() == ["one", "two"]


def test_truncation_restarts_at_the_beginning(log):
    append(log, "x" * 100 + "\n")
    with Follower(log) as follower:
        follower.read()
        append(log, "more\n")
        assert follower.read() == ["more"]
        with open(log, "wb") as file:  # copytruncate, then the writer goes on
            file.write(b"fresh\n")
        assert follower.read() == ["fresh"]
        assert follower.tail(5) == ["fresh"]


def test_overlong_lines_are_split_on_character_boundaries(log):
    log.write_bytes(b"")
    with Follower(log, max_line_bytes=10) as follower:
        append(log, ("é" * 8 + "\n").encode())  # 16 bytes
        lines = follower.read()
        assert "".join(lines) == "é" * 8
        assert all(len(line.encode()) <= 10 for line in lines) and "\ufffd" not in "".join(lines)


def test_read_limit_leaves_the_rest_for_later(log):
    log.write_bytes(b"")
    with Follower(log, chunk_size=1024) as follower:
        append(log, "".join(f"{i:05d}\n" for i in range(2000)))
        first = follower.read(limit=2048)
        assert 0 < len(first) < 2000
        rest = []
        while len(first) + len(rest) < 2000:
            rest += follower.read(limit=2048)
        assert first + rest == [f"{i:05d}" for i in range(2000)]


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_batcher_sends_after_max_delay():
    clock = Clock()
    batcher = LineBatcher(max_delay=0.05, max_bytes=1000, clock=clock)
    assert batcher.add(["a", "b"]) == []
    assert batcher.due() is None
    clock.now = 0.03
    assert batcher.add(["c"]) == []
    assert batcher.due() is None
    clock.now = 0.05
    assert batcher.due() == ["a", "b", "c"]
    assert batcher.due() is None
    assert len(batcher) == 0


def test_batcher_splits_a_burst_by_size():
    batcher = LineBatcher(max_delay=10, max_bytes=1000, clock=Clock())
    lines = [f"{i:09d}" for i in range(1000)]  # 10 bytes each with the newline
    batches = batcher.add(lines)
    assert [len(batch) for batch in batches] == [100] * 10
    assert sum(batches, []) == lines
    assert batcher.flush() is None


def test_batcher_keeps_an_oversized_line_whole():
    batcher = LineBatcher(max_delay=10, max_bytes=100, clock=Clock())
    assert batcher.add(["short", "y" * 500, "after"]) == [["short"], ["y" * 500]]
    assert batcher.flush() == ["after"]


def test_chunked():
    assert chunked([]) == []
    assert chunked(["ab", "cd", "ef"], max_bytes=6) == [["ab", "cd"], ["ef"]]
