"""The last step before a canonical table is written: a person key's pseudonym is the same
whichever piece it arrives in, and is never another person's."""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pyarrow as pa

from helpers.data import finishing
from helpers.data.finishing import Digests, pseudonymise_arrow

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
    hashed: list[bytes] = []
    real = finishing.hmac.new

    def counting(key, message, digest):
        hashed.append(message)
        return real(key, message, digest)

    monkeypatch.setattr(finishing.hmac, "new", counting)
    known = Digests(KEY, 16)
    for piece in PIECES:
        pseudonymise_arrow(pa.array(piece, pa.string()), KEY, 16, known)
    assert sorted(hashed) == sorted({v.encode() for p in PIECES for v in p if v is not None})


def test_two_keys_sharing_a_hash_are_never_given_the_same_pseudonym(monkeypatch):
    # The index finds candidates by a 64-bit hash; every candidate is compared with the value
    # kept, so even a hash that is the same for every value gives each its own digest.
    monkeypatch.setattr(finishing, "string_hashes", lambda values: np.zeros(len(values), dtype=np.uint64))
    known = Digests(KEY, 16)
    for piece in PIECES:
        out = pseudonymise_arrow(pa.array(piece, pa.string()), KEY, 16, known).to_pylist()
        assert out == [None if v is None else expected(v) for v in piece]
