"""Emit stage: registry -> {relative path: text}; pure, deterministic."""
