"""Editions in other languages: where each edition lives and its language settings
(``edition``), the translated texts of ``params/`` (``texts``), and the report's own words in
each language's ``interface.po`` (``catalogue``)."""
