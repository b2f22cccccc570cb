"""Generator: provider documents -> registry -> generated bindings (load, registry, emit, write)."""
