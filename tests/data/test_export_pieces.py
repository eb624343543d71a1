"""A raw export read in pieces: every row in exactly one piece, whatever the cuts meet (quoted
line breaks, lines as long as a piece, a last line without a line break), and the hash of the
bytes read is the file's."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from helpers.data import export_pieces
from helpers.data.exports import csv_types

from .test_ingest import SOURCES
from .test_scan import HEADER, load_sources_text, many_calls


@pytest.fixture
def small_pieces(monkeypatch):
    """Pieces of a few hundred bytes, so that a small file is cut many times."""
    monkeypatch.setattr(export_pieces, "CHUNK_BYTES", 300)


@pytest.mark.parametrize(
    "body",
    [
        many_calls(40),  # ends with a line break
        many_calls(40).rstrip("\n"),  # the last line has none
        'E1,07/01/2026 08:00,1,"Pol\nice",\n' * 30,  # quoted line breaks everywhere
        # lines of 300 bytes, as long as a piece: every cut is at a piece's end
        ("E1,07/01/2026 08:00,1,Police,P12345" + "x" * 264 + "\n") * 5,
    ],
    ids=["line-break-at-end", "no-line-break-at-end", "quoted-line-breaks", "piece-sized-lines"],
)
def test_the_pieces_hold_every_row_once_and_the_hash_is_the_files(tmp_path, small_pieces, body):
    spec = load_sources_text(SOURCES).sources["calls"]
    path = tmp_path / "calls.csv"
    text = body if body.startswith(HEADER) else HEADER + body
    path.write_bytes(text.encode())
    with ThreadPoolExecutor(1) as helper:
        reader = export_pieces.HashingReader(path, helper)
        pieces = list(export_pieces.csv_pieces(path, spec, reader))
        digest = reader.hexdigest()
        reader.close()
    types = csv_types(spec, HEADER.strip().split(","))  # as the pieces are read
    whole = pacsv.read_csv(
        path,
        convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True, null_values=[""]),
    )
    assert len(pieces) > 1
    assert pa.concat_tables(pieces).to_pylist() == whole.to_pylist()
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "size",
    [
        0,
        1,
        export_pieces.QUOTE_STEP - 1,
        export_pieces.QUOTE_STEP,
        export_pieces.QUOTE_STEP + 1,
        3 * export_pieces.QUOTE_STEP + 7,
    ],
)
def test_every_quote_mark_is_counted_across_the_counting_steps(size):
    # Where a piece is cut depends on the quotes before it: one missed at a step's edge would
    # cut a quoted field in two.
    rng = np.random.default_rng(size)
    data = bytes(rng.choice([ord('"'), ord("a"), ord("\n")], size).astype(np.uint8))
    assert export_pieces.quote_count(data) == data.count(b'"')
    assert export_pieces.quote_count(memoryview(bytearray(data))[: size // 2]) == data[: size // 2].count(
        b'"'
    )
