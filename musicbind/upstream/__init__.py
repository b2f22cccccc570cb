"""Provider documents upstream: ``musicbind sync`` and ``musicbind add``.

:mod:`.fetch` reads one document (conditional GET), :mod:`.locations` says where a
provider publishes a model's documents, :mod:`.manifest` edits specs/manifest.yaml in
place, :mod:`.sync` decides what an upstream answer changes.
"""
