"""Emulator: a local stand-in for Scenario, fal and AIgateway on loopback."""
