"""Durham Strategic Plan Goal 2 report: data pipeline, privacy gate, notebooks and site helpers.

Stages, in the one direction data flows: ``sources`` (raw -> validated canonical tables),
``measures`` (canonical -> privacy-gated measure tables and CSVs, via ``privacy``), ``report``
(what notebooks call, with ``charts`` and ``narrative``), ``runner`` (papermill execution) and
``site`` (Quarto render, checks and atomic publish). ``plan``, ``quarters`` and ``params`` load
the YAML in ``params/``.
"""

__version__ = "1.0.0"
