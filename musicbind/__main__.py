"""Command line: ``python -m musicbind`` is the ``musicbind`` console script."""

from musicbind.cli import main

main()
