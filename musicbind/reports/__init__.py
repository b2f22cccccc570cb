"""What ``generate``, ``check``, ``diff`` and ``schema`` print: reports over registries."""
