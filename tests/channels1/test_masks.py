"""Small client frames unmasked in Python give exactly what autobahn's own masker gives."""

import os

import pytest
from autobahn.nvx._xormasker import create_xor_masker

from channels1._masks import SMALL, SmallMasker, small_first


@pytest.mark.parametrize("size", [0, 1, 3, 4, 5, 39, 64, SMALL - 1])
def test_a_payload_unmasks_as_autobahn_unmasks_it(size):
    mask, payload = os.urandom(4), os.urandom(size)
    ours = SmallMasker(mask)
    assert ours.process(payload) == create_xor_masker(mask, size).process(payload)
    assert ours.pointer() == size


def test_a_payload_in_pieces_unmasks_as_in_one_piece():
    mask, payload = os.urandom(4), os.urandom(SMALL - 1)
    whole = create_xor_masker(mask, len(payload)).process(payload)
    for cuts in ([1], [2, 3], [5, 6, 7, 50], [4, 8, 12]):
        ours, pieces, start = SmallMasker(mask), [], 0
        for end in [*cuts, len(payload)]:
            pieces.append(ours.process(payload[start:end]))
            start = end
        assert b"".join(pieces) == whole


def test_reset_starts_the_mask_again():
    mask, payload = os.urandom(4), os.urandom(10)
    ours = SmallMasker(mask)
    first = ours.process(payload)
    ours.reset()
    assert ours.pointer() == 0
    assert ours.process(payload) == first


def test_larger_or_unsized_payloads_keep_autobahns_masker():
    made = []
    create = small_first(lambda mask, length=None: made.append(length) or "autobahn's")
    assert isinstance(create(b"abcd", SMALL - 1), SmallMasker)
    assert create(b"abcd", SMALL) == "autobahn's"
    assert create(b"abcd") == "autobahn's"
    assert made == [SMALL, None]
