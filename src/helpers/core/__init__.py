"""The foundation every stage stands on: errors that name the file, line, key and fix
(``config``), templates that fill in named values only, the City's fiscal calendar, where the
project keeps its files, typed records, the skip-if-unchanged cache, the project lock, and the
language a page is written in. It imports nothing else of the package."""
