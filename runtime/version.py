"""Runtime: musicbind's version, in the one module every part may import (the build reads it)."""

__version__ = "0.1.0"
