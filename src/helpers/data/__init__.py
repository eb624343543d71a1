"""Stage 1, raw -> validated: department exports read once, mapped by ``params/sources.yml``,
validated row by row, person keys pseudonymised, and each source's coverage day by day."""
