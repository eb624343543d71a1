"""The last step before a canonical table is written: a person key's pseudonym is the same
whichever piece it arrives in, and is never another person's."""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pyarrow as pa
import pytest

from helpers.data import finishing
from helpers.data.finishing import Digests, KeyedDigest, keyed_digest, pseudonymise_arrow

KEY = b"test-key"


def expected(value: str) -> str:
    return hmac.new(KEY, value.encode(), hashlib.sha256).hexdigest()[:16]


PIECES = [
    ["P1", "P2", None, "P1", "é"],
    ["P3", "P2", "P2", None],
    [None, None],
    ["P1", "P4", "P3", "P10", "P01"],
]


def test_each_key_gets_its_own_digest_in_every_piece():
    known = Digests(KEY, 16)
    for piece in PIECES:
        out = pseudonymise_arrow(pa.array(piece, pa.string()), KEY, 16, known).to_pylist()
        assert out == [None if v is None else expected(v) for v in piece]


def test_a_value_seen_in_an_earlier_piece_is_not_hashed_again(monkeypatch):
    hashed: list[str] = []
    real = finishing.KeyedDigest.__call__

    def counting(self, value):
        hashed.append(value)
        return real(self, value)

    monkeypatch.setattr(finishing.KeyedDigest, "__call__", counting)
    known = Digests(KEY, 16)
    for piece in PIECES:
        pseudonymise_arrow(pa.array(piece, pa.string()), KEY, 16, known)
    assert sorted(hashed) == sorted({v for p in PIECES for v in p if v is not None})


@pytest.mark.parametrize("key", [b"", b"k", b"x" * 64, b"a much longer key than one block " * 3])
@pytest.mark.parametrize("value", ["", "P1", "é", "x" * 200])
def test_the_pseudonym_is_hmac_sha256_whatever_the_key_length(key, value):
    # The digest keeps HMAC's two key states; keys shorter than, equal to and longer than
    # SHA-256's block are the three cases RFC 2104 treats differently.
    assert KeyedDigest(key, 64)(value) == hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
    assert keyed_digest(key, value, 16) == hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:16]


def test_two_keys_sharing_a_hash_are_never_given_the_same_pseudonym(monkeypatch):
    # The index finds candidates by a 64-bit hash; every candidate is compared with the value
    # kept, so even a hash that is the same for every value gives each its own digest.
    monkeypatch.setattr(finishing, "string_hashes", lambda values: np.zeros(len(values), dtype=np.uint64))
    known = Digests(KEY, 16)
    for piece in PIECES:
        out = pseudonymise_arrow(pa.array(piece, pa.string()), KEY, 16, known).to_pylist()
        assert out == [None if v is None else expected(v) for v in piece]
