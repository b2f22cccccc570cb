"""Generated bindings (placeholder until the first `musicbind generate`)."""
