"""A raw export read in pieces: the bytes of a file hashed as they are read, cut at line ends
(never inside a quoted field) into pieces of about ``CHUNK_BYTES``, each parsed by Arrow, and
read one piece ahead of the caller on a thread of its own. Anything that stops a file being read
this way (an encoding that cannot be cut without decoding, quotes that do not pair, a malformed
row) raises ``NotClean``: the whole-table validation then reads the file and locates it.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Callable, Generator, Iterator
from concurrent import futures
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ..params.sources import SourceSpec
from .exports import READ_ERRORS, RawFile, arrow_encoding, csv_types, python_encoding, read_file

CHUNK_BYTES = 32 << 20
# Encodings in which a line end and a quote are always the bytes b"\n" and b'"': a file in one
# of them can be cut at a line end without decoding it.
ASCII_COMPATIBLE = {"utf-8", "ascii", "latin-1", "iso8859-1", "iso8859-15", "cp1252"}


class NotClean(Exception):
    """The pass found something the whole-table validation must locate; ``reason`` says what."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class HashingReader:
    """A file whose bytes are hashed as they are read: the hash is of the bytes parsed. The hash
    is computed by a helper thread (hashlib lets go of the interpreter) while the bytes are
    parsed."""

    def __init__(self, path: Path, helper: ThreadPoolExecutor) -> None:
        self.handle = path.open("rb", buffering=0)
        self.helper = helper
        self.sha = hashlib.sha256()
        self.pending: Future[None] | None = None
        self.exhausted = False
        self.buffer: bytearray | None = None

    def _hash(self, data: bytes | memoryview) -> None:
        if self.pending is not None:
            self.pending.result()
        self.pending = self.helper.submit(self.sha.update, data)

    def read_rest(self) -> bytes:
        """The rest of the file, at once (a format that is not read in pieces)."""
        data = self.handle.readall()
        self._hash(data)
        return data

    def read_after(self, tail: bytes, size: int) -> memoryview:
        """``tail`` (bytes already read and hashed) followed by up to ``size`` more, read
        straight into one buffer: a piece is never copied to join it to the rest of a line.
        ``exhausted`` says when the file has no more.

        The buffer is the same for every piece (the bytes are parsed, and so copied out, before
        the next piece is read): no fresh 32 MB for the system to hand over page by page."""
        need = len(tail) + size
        if self.pending is not None:
            self.pending.result()  # the last piece's bytes are hashed before they are replaced
        if self.buffer is None or len(self.buffer) < need:
            self.buffer = bytearray(need)
        buffer = self.buffer
        buffer[: len(tail)] = tail
        view, filled = memoryview(buffer), len(tail)
        while filled < need:
            got = self.handle.readinto(view[filled:need])
            if not got:
                self.exhausted = True
                break
            filled += got
        self._hash(view[len(tail) : filled])
        return view[:filled]

    def hexdigest(self) -> str:
        if self.pending is not None:
            self.pending.result()
            self.pending = None
        return self.sha.hexdigest()

    def close(self) -> None:
        if self.pending is not None:
            self.pending.result()
        self.handle.close()


def _header(first: bytes, spec: SourceSpec) -> list[str]:
    encoding = python_encoding(spec.encoding)
    try:
        with io.TextIOWrapper(io.BytesIO(first), newline="", encoding=encoding) as handle:
            header = next(csv.reader(handle, delimiter=spec.csv.delimiter), [])
    except UnicodeDecodeError:
        raise NotClean("the header does not decode") from None
    return [h.strip() for h in header]


QUOTE_STEP = 1 << 18


def quote_count(data: bytes | memoryview) -> int:
    """How many quote marks ``data`` holds, counted a quarter of a megabyte at a time into one
    small buffer: a piece-sized comparison array would be fresh memory, faulted in page by page,
    for every piece (2.5 times slower)."""
    values = np.frombuffer(data, dtype=np.uint8)
    hits = np.empty(min(QUOTE_STEP, len(values)), dtype=bool)
    count = 0
    for start in range(0, len(values), QUOTE_STEP):
        part = values[start : start + QUOTE_STEP]
        found = hits[: len(part)]
        np.equal(part, 0x22, out=found)
        count += int(np.count_nonzero(found))
    return count


def _cut(buffer: memoryview, quotes_before: int) -> tuple[int, int]:
    """The end of the last whole line in ``buffer`` outside a quoted field (0 when none), and
    the quotes before it: the buffer's bytes are counted once."""
    data, length = buffer.obj, len(buffer)  # a view of the start of a bytearray
    assert isinstance(data, bytearray)
    inside = quote_count(buffer)
    end = length
    for _ in range(64):
        end = data.rfind(b"\n", 0, end)
        if end < 0:
            return 0, 0
        after = data.count(b'"', end, length)
        if (quotes_before + inside - after) % 2 == 0:
            return end + 1, inside - after
    return 0, 0


def csv_pieces(path: Path, spec: SourceSpec, reader: HashingReader) -> Iterator[pa.Table]:
    """The file's rows, one Arrow table per piece of about ``CHUNK_BYTES``: text, categories as
    codes, and whole numbers converted by the reader (``csv_types``)."""
    if codecs.lookup(spec.encoding).name not in ASCII_COMPATIBLE:
        raise NotClean(f"{spec.encoding} files are read whole")
    buffer = reader.read_after(b"", CHUNK_BYTES)
    names = _header(bytes(buffer[: 1 << 20]), spec)
    encoding = arrow_encoding(spec.encoding)
    converted, as_text = csv_types(spec, names, convert=True), csv_types(spec, names, convert=False)
    malformed: list[Any] = []

    def invalid(row: Any) -> str:
        malformed.append(row)
        return "skip"

    first, quotes, tail = True, 0, b""
    while True:
        if not first:
            buffer = reader.read_after(tail, CHUNK_BYTES)
        if not buffer:
            return
        last = reader.exhausted
        cut, inside = (len(buffer), 0) if last else _cut(buffer, quotes)  # after the last, none
        if cut == 0:  # one record longer than a piece, or quotes that do not pair
            raise NotClean("no line end to cut the file at")
        piece, tail = pa.py_buffer(buffer[:cut]), bytes(buffer[cut:])
        quotes += inside

        options = (names, encoding, 1 if first else 0, spec.csv.delimiter, invalid)
        try:
            try:
                table = _read_piece(piece, *options, converted)
            except pa.ArrowInvalid:  # a value that does not convert as it stands: read as text
                malformed.clear()
                table = _read_piece(piece, *options, as_text)
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise NotClean(f"the file does not parse: {exc}") from None
        if malformed:
            raise NotClean("a row has the wrong number of fields")
        first = False
        yield table


def _read_piece(
    piece: pa.Buffer,
    names: list[str],
    encoding: str,
    skip: int,
    delimiter: str,
    invalid: Callable[[Any], str],
    types: dict[str, pa.DataType],
) -> pa.Table:
    """One piece's rows, each column read as ``types`` says (``csv_types``)."""
    return pacsv.read_csv(
        pa.BufferReader(piece),
        read_options=pacsv.ReadOptions(
            encoding=encoding, column_names=names, skip_rows=skip, block_size=1 << 23, use_threads=False
        ),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=invalid),
        convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True, null_values=[""]),
    )


def file_pieces(path: Path, spec: SourceSpec, reader: HashingReader) -> Iterator[RawFile]:
    """A raw file as pieces to map: a CSV in pieces, any other format whole."""
    if spec.format == "csv":
        for table in csv_pieces(path, spec, reader):
            yield RawFile(path, path.name, table, None)
        return
    data = reader.read_rest()
    try:
        yield read_file(path, path.name, spec, data)
    except READ_ERRORS as exc:
        raise NotClean(f"the file cannot be read: {exc}") from None


def one_ahead(pieces: Iterator[RawFile], parser: ThreadPoolExecutor) -> Generator[RawFile, None, None]:
    """``pieces``, each read and parsed on the ``parser`` thread while the caller maps and
    checks the one before: the two halves of the work overlap, and the reader parses a piece on
    one core, without the cost of sharing out its blocks."""
    done = object()
    upcoming = parser.submit(next, pieces, done)
    try:
        while True:
            piece = upcoming.result()
            if piece is done:
                return
            upcoming = parser.submit(next, pieces, done)
            yield piece  # type: ignore[misc]
    finally:  # the caller stopped early, or is done: the piece under way is not left running
        if not upcoming.cancel():
            futures.wait([upcoming])
