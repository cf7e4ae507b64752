"""Unmasking of a client's small frames (an echo, a chat line) with Python's own
integers: autobahn's native masker imports its module and allocates and frees a C
object for every frame, which costs more than the XOR of a few dozen bytes."""

# autobahn's own bound between its scalar and SIMD maskers.
SMALL = 128


class SmallMasker:
    """autobahn's masker interface (``process``, ``pointer``, ``reset``) for one frame's
    payload, which may come in several pieces."""

    __slots__ = ("_mask", "_pointer")

    def __init__(self, mask):
        self._mask = bytes(mask)
        self._pointer = 0

    def pointer(self):
        return self._pointer

    def reset(self):
        self._pointer = 0

    def process(self, data):
        size = len(data)
        start = self._pointer & 3
        key = (self._mask * ((start + size) // 4 + 1))[start:start + size]
        self._pointer += size
        return (int.from_bytes(data, "little") ^ int.from_bytes(key, "little")).to_bytes(size, "little")


def small_first(create_masker):
    """autobahn's ``create_xor_masker`` with a SmallMasker for payloads under SMALL bytes."""

    def create(mask, length=None):
        if length is not None and length < SMALL:
            return SmallMasker(mask)
        return create_masker(mask, length)

    return create
