"""Stage 3, processed -> a page: what a notebook's page reads (its gated tables) and says (the
City's story format, sentences, charts, tables, figures), as parts that show the same in
JupyterLab and on the site. Notebooks reach it through ``helpers.report``."""
