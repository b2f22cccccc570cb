"""The emulator's pytest plugin is opt-in for users; this suite opts in.

Hypothesis runs without its per-example deadline: a deadline is a timed assertion, and on a
shared two-core CI machine an example that usually takes a millisecond can take 250 ms
(speed is measured in bench/, never asserted here). Every other setting stays per test.
"""

from hypothesis import settings

pytest_plugins = ["musicbind.emulator.pytest_plugin"]

settings.register_profile("musicbind", deadline=None)
settings.load_profile("musicbind")
