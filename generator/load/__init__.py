"""Load stage: one module per document kind, each file -> a SpecDocument."""
