"""``python -m nerlib``: see :mod:`nerlib.cli`."""

from nerlib.cli import main

raise SystemExit(main())
