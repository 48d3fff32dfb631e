"""nerlib: the NER workbench library.

Subpackages by concept; imports run one way, from left to right and never back
(``tests/test_layout.py`` checks it)::

    settings -> errors -> data -> text -> modeling -> runs -> tagging -> evaluation -> quality -> views -> localizer -> serving -> commands -> cli

- `data`: CoNLL files, the conllpp DatasetDict and its download, labels and IOB schemes, statistics.
- `text`: raw text -> words and sentences with exact character offsets.
- `modeling`: model specs and presets, the WordPiece trainer, sentence windows (encoding), label
  alignment, word pooling, batching and padding, device and precision, CUDA graphs.
- `runs`: the run folder format and its readers, safe checkpoint loading, the run lock, trackers,
  the model card, the Hub push, the LR finder's records. Below `tagging` because a tagger opens a
  run folder's best checkpoint.
- `tagging`: the Tagger (text -> entity spans) and bulk tagging of files.
- `evaluation`: metrics with conlleval semantics (seen/unseen too), scoring a checkpoint, span errors.
- `quality`: label errors of a dataset (cleanlab on out-of-sample distributions, K-fold), their
  review file and the corrected CoNLL export.
- `views`: pure helpers the dashboard draws from: span HTML, pandas tables, guards on visitor input.
- `localizer`: rewrite people, places and organisations from one country's context to another's,
  and the word vectors it ranks with.
- `serving`: the tagger over HTTP (FastAPI, uvicorn): dynamic batching of concurrent requests,
  bounded queue and body size, health, readiness and metadata endpoints.
- `commands`: one module per subcommand of ``python -m nerlib`` (its parser and front end), and
  `common`, what several of them share.
- top level: `settings` (environment variables and folders), `errors` (the one error boundary of
  every command, input errors naming file and line), `cli` (``python -m nerlib``: the table of commands, the parser, `main`),
  `old_paths` (the flat module paths of 0.1, kept for one release with a DeprecationWarning).

Importing ``nerlib`` or any subpackage is cheap: no torch, transformers or datasets until a module
that needs them is imported.
"""

from nerlib import old_paths as _old_paths

__version__ = "0.1.0"

_old_paths.install()
