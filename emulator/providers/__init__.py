"""Emulator: one module per provider, each speaking that provider's protocol."""
