"""What a command's failure tells the person or the scheduler that ran it: one exit code per
kind of failure, and a message that says what happened and what to do."""

from __future__ import annotations

import errno

from ..core.config import ConfigError

EXIT_CODES = """\
Exit codes (for schedulers):
  0  success (including "nothing to do")
  1  a parameter file or a command-line argument is invalid (the message names the fix)
  2  raw data failed validation, a source does not cover the quarter, or the quarter is
     beyond the data (it ends after every source's last complete day, or data_as_of is ahead)
  3  a notebook failed (the failed notebook is kept in build/diagnostics, never published)
  4  the privacy gate, a site check or the archive's verification failed; nothing was published
  5  Quarto is missing and --require-site was given
  6  another run is in progress
  7  any other error
  8  Quarto failed to render the site (its log is named); nothing was published
  9  the disk is full; nothing half-written was published
 10  permission denied reading or writing a file or folder (it is named)
"""
EXIT_OK, EXIT_CONFIG, EXIT_DATA, EXIT_NOTEBOOK, EXIT_CHECK, EXIT_QUARTO, EXIT_LOCKED, EXIT_OTHER = range(8)
EXIT_RENDER, EXIT_DISK_FULL, EXIT_PERMISSION = 8, 9, 10
FULL = {errno.ENOSPC, errno.EDQUOT}
DENIED = {errno.EACCES, errno.EPERM, errno.EROFS}


class BadArgument(ValueError):
    """A command-line argument is not valid; the message says what to write instead."""


def _os_error(exc: BaseException) -> OSError | None:
    """The disk-full or permission error behind ``exc`` (itself, or what it was raised from)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in {*FULL, *DENIED}:
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def describe(exc: BaseException) -> str:
    """What to tell the person (or the scheduler's log) about a failure."""
    error = _os_error(exc)
    if error is None:
        return str(exc)
    where = f" ({error.filename})" if error.filename else ""
    if error.errno in FULL:
        return (
            f"The disk is full{where}: {error.strerror}. The run stopped; nothing half-written was "
            "published and the current site is unchanged. Free some space (`make clean` removes build/ "
            "and data/processed/, which the next run rebuilds), then run again."
        )
    return (
        f"Permission denied{where}: {error.strerror}. The run cannot read or write there. Check that "
        "the user running the report owns the project folder (it writes data/processed, build and "
        "_site, and reads data/raw and params), then run again."
    )


def exit_code(exc: BaseException) -> int:
    from ..core.lock import RunLocked
    from ..data.coverage import QuarterBeyondData
    from ..data.ingest import SourceValidationError
    from ..data.raw import PseudonymKeyMissing
    from ..measures.build import StaleDataError
    from ..measures.gate import PrivacyError
    from ..params.pages import UnknownPage
    from ..run.notebooks import NotebookFailed
    from ..site.quarto import QuartoMissing, RenderFailed, SiteError

    error = _os_error(exc)
    if error is not None:
        return EXIT_DISK_FULL if error.errno in FULL else EXIT_PERMISSION
    if isinstance(exc, (ConfigError, UnknownPage, BadArgument)):
        return EXIT_CONFIG
    if isinstance(exc, (SourceValidationError, StaleDataError, PseudonymKeyMissing, QuarterBeyondData)):
        return EXIT_DATA
    if isinstance(exc, NotebookFailed):
        return EXIT_NOTEBOOK
    if isinstance(exc, QuartoMissing):
        return EXIT_QUARTO
    if isinstance(exc, RenderFailed):
        return EXIT_RENDER
    if isinstance(exc, (PrivacyError, SiteError)):
        return EXIT_CHECK
    if isinstance(exc, RunLocked):
        return EXIT_LOCKED
    return EXIT_OTHER
