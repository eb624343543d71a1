"""Stage 5, executed notebooks -> the site: staging, the Quarto render, assembly of the editions
and the archive, every check, and the atomic publish."""
