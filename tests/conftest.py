"""The emulator's pytest plugin is opt-in for users; this suite opts in."""

pytest_plugins = ["musicbind.emulator.pytest_plugin"]
