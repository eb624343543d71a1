"""``python -m helpers <command>``: every stage of the report from the command line.

Every command has ``--help``; ``python -m helpers --help`` lists the commands and the exit codes
(``exits.EXIT_CODES``), one per kind of failure, for schedulers.
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
