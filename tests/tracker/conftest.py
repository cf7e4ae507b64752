"""Fixtures for the tracker's tests: polygons, and the notifications sent."""

import pytest

from tracker import notifications


def square(west, south, size=1.0):
    return {"type": "Polygon", "coordinates": [[[west, south], [west + size, south], [west + size, south + size],
                                                [west, south + size], [west, south]]]}


# An L: the bounding box is (0, 0)-(2, 2), but the square (1, 1)-(2, 2) is not in it.
L_SHAPE = {"type": "Polygon", "coordinates": [[[0, 0], [2, 0], [2, 1], [1, 1], [1, 2], [0, 2], [0, 0]]]}


@pytest.fixture
def sent(monkeypatch):
    """The payloads broadcast to the notifications group, in order."""
    payloads = []
    monkeypatch.setattr(notifications, "broadcast", payloads.append)
    return payloads
