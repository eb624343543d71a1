"""Text bytes read without copying, and the string hashes the key check and the pseudonym cache
compare."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from helpers.data.text import string_hashes, text_bytes


def test_memory_for_the_key_check_is_eight_bytes_a_row_and_equal_text_hashes_equal():
    values = pa.array(["C23-0000001", "C23-0000002", None, "C23-0000001", "", "é"])
    hashes = string_hashes(values.drop_null())
    assert hashes.dtype == np.uint64 and hashes.itemsize == 8
    assert hashes[0] == hashes[2] and len(set(hashes.tolist())) == 4
    sliced = string_hashes(pa.array(["x", "C23-0000001"]).slice(1))
    assert sliced[0] == hashes[0]  # an offset into a larger array changes nothing
    alone, beside_longer = string_hashes(pa.array(["E7"])), string_hashes(pa.array(["E292", "E7"]))
    assert alone[0] == beside_longer[1]  # nor does a longer string in the same piece


def test_text_bytes_are_the_arrays_own_bytes_from_its_offset():
    data, offsets = text_bytes(pa.array(["ab", "cde", None, "f"]).slice(1))
    assert bytes(data[offsets[0] : offsets[-1]]) == b"cdef"
    assert text_bytes(pa.array([], pa.string())) is None


def test_a_string_hashes_the_same_alone_among_equal_lengths_and_among_any_lengths():
    # Three ways to read the bytes (a rectangle as it is, one built, a byte at a time); the key
    # check and the pseudonym cache compare hashes made from different pieces, so any
    # difference between the ways would let a repeated key through or give a pseudonym twice.
    fixed = ["C26-0000001", "C26-0000002", "C26-0000003"]
    mixed = ["C26-0000002", "", "é", "C26-0000001", "x" * 9, "ü" * 20]
    long = ["C26-0000003", "z" * 80, "é" * 40]
    alone = {v: string_hashes(pa.array([v]))[0] for v in fixed + mixed + long}
    for batch in (fixed, mixed, long):
        assert string_hashes(pa.array(batch)).tolist() == [alone[v] for v in batch]
    assert len(set(alone.values())) == len(alone)


@pytest.mark.parametrize("length", [1, 7, 8, 9, 16, 17])
def test_strings_of_one_length_hash_as_they_do_among_other_lengths(length):
    # Strings all of one length are read as a rectangle of their bytes; among other lengths
    # they are scattered into one. Both must agree, for a whole array and for a slice of one.
    same = [f"{i:0{length}d}"[-length:] for i in (3, 41, 592, 6535)]
    together = string_hashes(pa.array(same)).tolist()
    among = string_hashes(pa.array([*same, "a different length" * 3])).tolist()[:4]
    assert together == among
    assert string_hashes(pa.array(same).slice(1, 2)).tolist() == together[1:3]
    assert len(set(together)) == len(set(same))
