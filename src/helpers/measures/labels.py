"""A measure's rows named in a language: its series and periods. The tables store the City's
English names; the numbers are the same in every edition."""

from __future__ import annotations

import pandas as pd

from ..core.language import Language
from ..params.measure import Measure, local_series_name


def rows_in_language(frame: pd.DataFrame, english: Measure, local: Measure, lang: Language) -> pd.DataFrame:
    """A measure's rows with their names (series, periods) in ``lang``; the numbers are shared.
    ``local`` is the measure with its texts in that language. The tables store English names."""
    if lang.is_source or frame.empty:
        return frame
    frame = frame.copy()
    names = {n: local_series_name(english, local, n, lang) for n in frame["series"].unique()}
    frame["series"] = frame["series"].map(names)
    periods = zip(frame["period"], frame["grain"], frame["period_start"], frame["period_end"])
    frame["period_label"] = [lang.period_label(*period) for period in periods]
    return frame
