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


def string_hashes(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A 64-bit FNV-1a hash of each (non-null) string, computed column-wise in numpy on the
    array's own bytes."""
    values = pc.cast(values, pa.string())
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    found = text_bytes(values)
    if found is None:
        return np.full(len(values), 0xCBF29CE484222325, dtype=np.uint64)  # only empty strings
    data, offsets = found
    starts, lengths = offsets[:-1], np.diff(offsets)
    longest = int(lengths.max())
    data = np.concatenate([data, np.zeros(longest + 1, dtype=np.uint8)])
    hashes = np.full(len(values), 0xCBF29CE484222325, dtype=np.uint64) ^ lengths.astype(np.uint64)
    prime = np.uint64(0x100000001B3)
    for j in range(longest):
        inside = lengths > j  # a string's hash never depends on the longest string beside it
        mixed = (hashes ^ data[starts + j].astype(np.uint64)) * prime
        hashes = np.where(inside, mixed, hashes)
    return hashes
