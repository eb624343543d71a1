"""The bytes of Arrow text, read without copying, and a hash of each string computed from them
in numpy: what the unique-key check and the pseudonym cache compare instead of the strings."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def text_bytes(array: pa.Array) -> tuple[np.ndarray, np.ndarray] | None:
    """The UTF-8 bytes of a string array and its offsets, without copying (None when empty)."""
    if len(array) == 0 or array.buffers()[2] is None:
        return None
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32, count=len(array) + 1, offset=array.offset * 4)
    return np.frombuffer(array.buffers()[2], dtype=np.uint8), offsets


BASIS, PRIME = np.uint64(0xCBF29CE484222325), np.uint64(0x100000001B3)


def string_hashes(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A 64-bit hash of each (non-null) string, computed column-wise in numpy on the array's own
    bytes: FNV-1a over the string's 8-byte words (zero-padded), then a final mix so that every
    bit depends on every byte. A string's hash never depends on the strings beside it.

    Identifiers are often all the same length (case numbers): their bytes are then already a
    rectangle, read as words directly. Shorter text is scattered into one; long text (over 64
    bytes) is gathered a byte at a time. All three give a string the same hash."""
    values = pc.cast(values, pa.string())
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    found = text_bytes(values)
    if found is None:
        return _mixed(np.full(len(values), BASIS, dtype=np.uint64))  # only empty strings
    data, offsets = found
    starts, lengths = offsets[:-1], np.diff(offsets)
    longest = int(lengths.max())
    words = (longest + 7) // 8
    hashes = BASIS ^ lengths.astype(np.uint64)
    if longest and int(lengths.min()) == longest:
        rectangle = np.zeros((len(values), words * 8), dtype=np.uint8)
        rectangle[:, :longest] = data[offsets[0] : offsets[-1]].reshape(len(values), longest)
        for word in rectangle.view("<u8").T:
            hashes = (hashes ^ word) * PRIME
        return _mixed(hashes)
    if longest <= 64:  # each string's bytes scattered to its row of a zeroed rectangle
        rectangle = np.zeros(len(values) * words * 8, dtype=np.uint8)
        shift = np.arange(len(values), dtype=np.int64) * (words * 8) - starts
        where = np.arange(offsets[0], offsets[-1], dtype=np.int64) + np.repeat(shift, lengths)
        rectangle[where] = data[offsets[0] : offsets[-1]]
        for k, word in enumerate(rectangle.reshape(len(values), words * 8).view("<u8").T):
            hashes = np.where(lengths > 8 * k, (hashes ^ word) * PRIME, hashes)  # its own words only
        return _mixed(hashes)
    data = np.concatenate([data, np.zeros(words * 8, dtype=np.uint8)])
    for k in range(words):  # long text: gathered a byte at a time, never a rectangle
        word = np.zeros(len(values), dtype=np.uint64)
        for b in range(8):
            j = 8 * k + b
            byte = np.where(lengths > j, data[starts + j], 0).astype(np.uint64)
            word |= byte << np.uint64(8 * b)
        hashes = np.where(lengths > 8 * k, (hashes ^ word) * PRIME, hashes)
    return _mixed(hashes)


def _mixed(hashes: np.ndarray) -> np.ndarray:
    """MurmurHash3's finaliser: spreads every input bit over the whole hash."""
    hashes = hashes ^ (hashes >> np.uint64(33))
    hashes = hashes * np.uint64(0xFF51AFD7ED558CCD)
    hashes = hashes ^ (hashes >> np.uint64(33))
    hashes = hashes * np.uint64(0xC4CEB9FE1A85EC53)
    return hashes ^ (hashes >> np.uint64(33))
