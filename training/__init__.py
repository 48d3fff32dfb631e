"""Training script for the NER workbench: ``python -m training.train`` (see training/train.py).

Importing nerlib installs its old-path hook, so ``training.records`` (moved to
``nerlib.runs.records``) keeps working, with a DeprecationWarning, for one release.
"""

import nerlib  # noqa: F401  (installs the old-path hook: see nerlib.old_paths)
