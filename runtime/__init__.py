"""Runtime: the small httpx transport the generated clients use (never imports generator)."""
