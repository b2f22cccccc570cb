"""Registry stage: merge loaded documents and the overlay into one frozen model."""
