"""Project files: a project's specs/manifest.yaml and overlay.yaml, read into typed records."""
