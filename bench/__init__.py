"""Bench: musicbind measured side by side with the alternatives (run with ``python -m bench``).

Sections: generation, validation, start-up, transport, download. Each writes plain
JSON-ready dicts; :mod:`bench.report` turns them into ``docs/benchmarks.md`` and plots.
Nothing here is part of the test suite's pass or fail.
"""
