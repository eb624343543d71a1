"""``python -m helpers <command>``: every stage of the report from the command line.

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

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

from .common import lock, log
from .exits import (
    EXIT_CHECK,
    EXIT_CONFIG,
    EXIT_DATA,
    EXIT_DISK_FULL,
    EXIT_LOCKED,
    EXIT_NOTEBOOK,
    EXIT_OK,
    EXIT_OTHER,
    EXIT_PERMISSION,
    EXIT_QUARTO,
    EXIT_RENDER,
    BadArgument,
    describe,
    exit_code,
)
from .parser import build_parser

__all__ = [
    "EXIT_CHECK",
    "EXIT_CONFIG",
    "EXIT_DATA",
    "EXIT_DISK_FULL",
    "EXIT_LOCKED",
    "EXIT_NOTEBOOK",
    "EXIT_OK",
    "EXIT_OTHER",
    "EXIT_PERMISSION",
    "EXIT_QUARTO",
    "EXIT_RENDER",
    "BadArgument",
    "build_parser",
    "main",
]


def main(argv: Sequence[str] | None = None) -> int:
    # jsonschema (under nbformat and papermill) imports rfc3987_syntax when it is installed, which
    # compiles a grammar for about a second; nothing here validates IRIs, so declare it absent.
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    try:
        if args.writes:
            with lock(args):
                return args.handler(args)
        return args.handler(args)
    except KeyboardInterrupt:
        log.error("interrupted; nothing half-done was published")
        return EXIT_OTHER
    except Exception as exc:  # every failure becomes one clear message and an exit code
        code = exit_code(exc)
        log.error("%s", describe(exc))
        if code == EXIT_OTHER:
            log.exception("unexpected error (please report it with the manifest in build/)")
        return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
