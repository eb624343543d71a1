"""The last step before a canonical table is written: person identifiers replaced by a keyed
hash (HMAC-SHA256, computed once per distinct value) and text that is not an identifier
dictionary-encoded. The same for a source written piece by piece in one pass or validated whole,
so both give the same table.
"""

from __future__ import annotations

import hashlib
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa_arrow
import pyarrow.compute as pc

from ..params.sources import SourceSpec
from .text import string_hashes


def _categorical(table: pa_arrow.Table, spec: SourceSpec) -> pa_arrow.Table:
    """Dictionary-encode the text that is not an identifier (call types, agencies): small files,
    and categorical columns in pandas. Decided by the column, not by what one piece holds, so
    that every piece of a source has the same schema."""
    for name, col in spec.columns.items():
        if not col.categorical:
            continue
        index = table.schema.get_field_index(name)
        if not pa_arrow.types.is_dictionary(table.schema.field(index).type):
            table = table.set_column(index, name, pc.dictionary_encode(table.column(name)))
    return table


# --------------------------------------------------------------------------------------------
# One source


_BLOCK = 64  # SHA-256's block size, in bytes
_INNER, _OUTER = bytes(b ^ 0x36 for b in range(256)), bytes(b ^ 0x5C for b in range(256))


class KeyedDigest:
    """A person key's pseudonym: HMAC-SHA256 of the value under ``key``, hex, its first
    ``chars`` characters. The one definition: ingest writes it, and the privacy gate recomputes
    it to catch a raw key that reached a published file.

    HMAC as RFC 2104 defines it, with its two key-dependent hash states made once: each value
    then costs two copies and two short updates, half of what ``hmac.new`` per value costs
    (a quarter's CAD export holds half a million people at sample scale 10)."""

    def __init__(self, key: bytes, chars: int) -> None:
        if len(key) > _BLOCK:
            key = hashlib.sha256(key).digest()
        key = key.ljust(_BLOCK, b"\0")
        self.inner, self.outer = hashlib.sha256(key.translate(_INNER)), hashlib.sha256(key.translate(_OUTER))
        self.chars = chars

    def __call__(self, value: str) -> str:
        inner = self.inner.copy()
        inner.update(value.encode("utf-8"))
        outer = self.outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()[: self.chars]


def keyed_digest(key: bytes, value: str, chars: int) -> str:
    """One value's pseudonym (``KeyedDigest``, for a caller with a single value)."""
    return KeyedDigest(key, chars)(value)


def pseudonymise(values: pd.Series, key: bytes, chars: int) -> pd.Series:
    """HMAC-SHA256 of each value, hex, truncated; computed once per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    digest = KeyedDigest(key, chars)
    digests = np.array([digest(str(u)) for u in uniques], dtype=object)
    out = np.full(len(values), None, dtype=object)
    present = codes >= 0
    out[present] = digests[codes[present]]
    return pd.Series(out, index=values.index, dtype="str")


class Digests:
    """The keyed hashes already made for a source's person keys: each value and its digest in
    two Arrow arrays, in the order first seen, and a sorted index of the values' 64-bit hashes.
    A piece's distinct values are found by binary search (then compared with the value kept, so
    two values sharing a hash are never confused), and only values never seen are hashed. The
    index is 16 bytes a value and is not rebuilt for each piece; a Python dictionary of the
    same pairs would be ten times the size."""

    def __init__(self, key: bytes, chars: int) -> None:
        self.digest = KeyedDigest(key, chars)
        self.values = pa_arrow.array([], pa_arrow.string())
        self.digests = pa_arrow.array([], pa_arrow.string())
        self.sorted_hashes = np.empty(0, dtype=np.uint64)
        self.positions = np.empty(0, dtype=np.int64)  # of each sorted hash's value in ``values``

    def __call__(self, distinct: pa_arrow.Array) -> pa_arrow.Array:
        """The digest of each of ``distinct`` (strings, none repeated)."""
        distinct = distinct.cast(pa_arrow.string())
        hashes = string_hashes(distinct)
        index = np.full(len(distinct), -1, dtype=np.int64)
        if len(self.sorted_hashes):
            ascending = np.argsort(hashes)  # searched in order: the index is walked, not jumped about
            at = np.empty(len(hashes), dtype=np.int64)
            at[ascending] = np.searchsorted(self.sorted_hashes, hashes[ascending])
            at = np.minimum(at, len(self.sorted_hashes) - 1)
            found = np.flatnonzero(self.sorted_hashes[at] == hashes)
            kept = pc.take(self.values, self.positions[at[found]])
            same = pc.equal(kept, pc.take(distinct, found)).to_numpy(zero_copy_only=False)
            index[found[same]] = self.positions[at[found[same]]]
        new = np.flatnonzero(index < 0)
        if len(new):
            fresh = pc.take(distinct, new)
            digests = [self.digest(value) for value in fresh.to_pylist()]
            index[new] = np.arange(len(self.values), len(self.values) + len(new))
            self.values = pa_arrow.concat_arrays([self.values, fresh])
            self.digests = pa_arrow.concat_arrays([self.digests, pa_arrow.array(digests, pa_arrow.string())])
            order = np.argsort(hashes[new], kind="stable")
            where = np.searchsorted(self.sorted_hashes, hashes[new][order])
            self.sorted_hashes = np.insert(self.sorted_hashes, where, hashes[new][order])
            self.positions = np.insert(self.positions, where, index[new][order])
        return pc.take(self.digests, pa_arrow.array(index))


def pseudonymise_arrow(
    values: pa_arrow.ChunkedArray | pa_arrow.Array, key: bytes, chars: int, known: Digests | None = None
) -> pa_arrow.Array:
    """The same keyed hash on an Arrow column, once per distinct value (``known`` keeps the
    digests already made, across the pieces of a source)."""
    known = Digests(key, chars) if known is None else known
    encoded = pc.dictionary_encode(pc.cast(values, pa_arrow.string()))
    if isinstance(encoded, pa_arrow.ChunkedArray):
        encoded = encoded.combine_chunks()
    return pc.take(known(encoded.dictionary), encoded.indices)


class Finisher:
    """A checked table (or piece of one) made ready to write: person keys pseudonymised and text
    categorised; the same for a source written in one pass or validated whole."""

    def __init__(self, spec: SourceSpec, key: bytes, chars: int) -> None:
        self.spec, self.key, self.chars = spec, key, chars

    @cached_property
    def known(self) -> Digests:
        """Made at the first person key: a source without one needs no key."""
        return Digests(self.key, self.chars)

    def __call__(self, table: pa_arrow.Table) -> pa_arrow.Table:
        for column, col in self.spec.columns.items():
            if col.identifies_person:
                index = table.schema.get_field_index(column)
                values = pseudonymise_arrow(table.column(column), self.key, self.chars, self.known)
                table = table.set_column(index, column, values)
        return _categorical(table, self.spec).replace_schema_metadata(None)
