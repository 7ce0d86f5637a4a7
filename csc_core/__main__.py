"""``python -m csc_core run INPUT --output OUT.h5ad``: the ``csc`` command line (:mod:`csc_core.cli`)."""

import sys

from .cli import main

sys.exit(main())
