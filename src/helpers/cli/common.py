"""What every command needs: the project, its lock, and the quarter it works on."""

from __future__ import annotations

import argparse
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.paths import ProjectPaths
from .exits import BadArgument

if TYPE_CHECKING:
    from ..core.periods import FiscalQuarter
    from ..params.quarters import QuarterParams
    from ..params.settings import Settings

log = logging.getLogger("helpers")
Handler = Callable[[argparse.Namespace], int]
Adder = Callable[..., argparse.ArgumentParser]


def project(args: argparse.Namespace) -> ProjectPaths:
    return ProjectPaths(Path(args.root).resolve()) if args.root else ProjectPaths.discover()


def lock(args: argparse.Namespace) -> contextlib.AbstractContextManager[None]:
    """The project's lock, which every command that writes holds (exit 6 when it is taken)."""
    from ..core.lock import project_lock

    return project_lock(project(args))


def quarter_of(args: argparse.Namespace, paths: ProjectPaths) -> FiscalQuarter:
    """``--quarter`` parsed here, at the edge (default: the latest params file)."""
    from ..core.periods import FiscalQuarter
    from ..params.quarters import latest_quarter

    if args.quarter is None:
        return latest_quarter(paths)
    if not args.quarter.strip():
        raise BadArgument(
            "--quarter is empty: give a fiscal quarter such as FY2027Q1, or leave the option out "
            "to build the latest quarter that has a params file"
        )
    try:
        return FiscalQuarter.parse(args.quarter)
    except ValueError as exc:
        raise BadArgument(f"--quarter {args.quarter}: {exc}") from None


def quarter_context(args: argparse.Namespace) -> tuple[ProjectPaths, Settings, FiscalQuarter, QuarterParams]:
    """Settings, the chosen quarter and its parameters."""
    from ..params.quarters import load_quarter
    from ..params.settings import load_settings

    paths = project(args)
    settings = load_settings(paths)
    quarter = quarter_of(args, paths)
    return paths, settings, quarter, load_quarter(paths, settings.plan, quarter)
