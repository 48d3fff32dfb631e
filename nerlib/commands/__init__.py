"""The subcommands of ``python -m nerlib``, one module each (`nerlib.cli` lists them in order).

Every command module has:

- ``NAME``: the subcommand as typed (``"label-issues"``);
- ``add_parser(subparsers)``: its arguments and help text, added to the top-level parser's
  subparsers;
- ``run(args, stdin, stdout) -> int``: its front end: checks the options before any model loads,
  calls the library (`nerlib.tagging`, `nerlib.evaluation`, `nerlib.quality`, `nerlib.localizer`,
  `nerlib.serving`, `nerlib.runs`), prints, returns the exit code. ``stdin`` is read only by
  ``tag``; errors are raised, and `nerlib.cli` turns them into one ``error:`` line.

`common` holds what several commands share (the usage error, option types and checks, the model
options and tagger loading, the partial-match table). Heavy libraries are imported inside
``run``, so ``python -m nerlib --help`` loads no torch.
"""
