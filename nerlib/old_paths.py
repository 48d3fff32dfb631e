"""Old import paths: the one table of modules that moved, and the import hook that keeps them working.

Until the 0.2 layout nerlib was 31 flat modules. Each old path keeps working for one release as a
thin re-export that raises a ``DeprecationWarning`` naming the new path:

>>> import warnings
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     from nerlib.tagger import Tagger
>>> str(caught[0].message)
'nerlib.tagger moved to nerlib.tagging.tagger; import it from there (the old path goes in the next release)'
>>> Tagger.__module__
'nerlib.tagging.tagger'

Four old modules share their name with the subpackage that replaced them (``nerlib.data``,
``nerlib.modeling``, ``nerlib.evaluation``, ``nerlib.runs``), and ``nerlib.cli`` kept ``main`` and
``build_parser`` while its commands moved to ``nerlib.commands``: such a module answers the old
module's names itself (with the same warning), through `package_exports`.

This module imports only the standard library: ``nerlib/__init__.py`` installs the hook.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
import warnings
from collections.abc import Callable
from typing import Any

# Old module path -> its new home. An old module whose names went to two modules lists both.
MOVED: dict[str, tuple[str, ...]] = {
    "nerlib.conll": ("nerlib.data.conll",),
    "nerlib.data": ("nerlib.data.conllpp",),
    "nerlib.labels": ("nerlib.data.labels",),
    "nerlib.stats": ("nerlib.data.statistics",),
    "nerlib.words": ("nerlib.text.words",),
    "nerlib.sentences": ("nerlib.text.sentences",),
    "nerlib.modeling": ("nerlib.modeling.models",),
    "nerlib.wordpiece": ("nerlib.modeling.wordpiece",),
    "nerlib.encoding": ("nerlib.modeling.encoding",),
    "nerlib.alignment": ("nerlib.modeling.alignment",),
    "nerlib.pooling": ("nerlib.modeling.pooling",),
    "nerlib.batching": ("nerlib.modeling.batching",),
    "nerlib.device": ("nerlib.modeling.device",),
    "nerlib.cuda_graphs": ("nerlib.modeling.cuda_graphs",),
    "nerlib.runs": ("nerlib.runs.folder",),
    "nerlib.checkpoint": ("nerlib.runs.checkpoints",),
    "nerlib.runlock": ("nerlib.runs.lock",),
    "nerlib.trackers": ("nerlib.runs.trackers",),
    "nerlib.modelcard": ("nerlib.runs.modelcard",),
    "nerlib.hub": ("nerlib.runs.hub",),
    "nerlib.lr_finder": ("nerlib.runs.lr_finder",),
    "nerlib.tagger": ("nerlib.tagging.tagger",),
    "nerlib.bulk": ("nerlib.tagging.bulk",),
    "nerlib.metrics": ("nerlib.evaluation.metrics",),
    "nerlib.evaluation": ("nerlib.evaluation.scoring",),
    "nerlib.display": ("nerlib.views.spans",),
    "nerlib.tables": ("nerlib.views.tables",),
    "nerlib.safety": ("nerlib.views.guards",),
    "nerlib.vectors": ("nerlib.localizer.vectors",),
    "training.records": ("nerlib.runs.records",),
    # The subcommands moved to one module each; nerlib.cli kept main, build_parser and COMMANDS.
    "nerlib.cli": ("nerlib.commands.common", "nerlib.commands.tag", "nerlib.commands.evaluate",
                   "nerlib.commands.push", "nerlib.commands.label_issues", "nerlib.commands.compare",
                   "nerlib.commands.serve", "nerlib.commands.localize", "nerlib.commands.export_onnx",
                   "nerlib.commands.calibrate"),
}

# Old paths that still import today: a subpackage of the same name, or nerlib.cli (which kept its entry
# point). The module there answers the old module's names itself (package_exports); no forwarder.
ANSWERED_IN_PLACE = frozenset({"nerlib.data", "nerlib.modeling", "nerlib.evaluation", "nerlib.runs", "nerlib.cli"})


def _message(old: str, new: str) -> str:
    return f"{old} moved to {new}; import it from there (the old path goes in the next release)"


def _forwarding_module(old: str, homes: tuple[str, ...]) -> types.ModuleType:
    """A module named ``old`` whose attributes are read from the modules ``homes``, in order."""
    module = types.ModuleType(old, f"Deprecated: moved to {', '.join(homes)}.")
    targets = [importlib.import_module(home) for home in homes]

    def __getattr__(name: str) -> Any:
        for target in targets:
            if hasattr(target, name):
                return getattr(target, name)
        raise AttributeError(f"module {old!r} (moved to {', '.join(homes)}) has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({name for target in targets for name in dir(target)})

    module.__getattr__ = __getattr__  # type: ignore[attr-defined]
    module.__dir__ = __dir__  # type: ignore[method-assign]
    return module


class _OldPathFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds the old flat module paths (those that are not packages today) and loads forwarders."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None):
        """A spec loaded by this finder for an old flat module path, else ``None`` (not ours)."""
        if fullname in MOVED and fullname not in ANSWERED_IN_PLACE:
            return importlib.machinery.ModuleSpec(fullname, self)
        return None

    def create_module(self, spec):
        """A forwarding module to the path's new home(s), with a ``DeprecationWarning``."""
        homes = MOVED[spec.name]
        warnings.warn(_message(spec.name, " and ".join(homes)), DeprecationWarning, stacklevel=2)
        return _forwarding_module(spec.name, homes)

    def exec_module(self, module) -> None:
        """Nothing to run: :meth:`create_module` built the module complete."""
        return None


def install() -> None:
    """Put the old-path finder on ``sys.meta_path`` (once)."""
    if not any(isinstance(finder, _OldPathFinder) for finder in sys.meta_path):
        sys.meta_path.append(_OldPathFinder())


def package_exports(package: str, public: dict[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for a subpackage: lazy public names, then its old module's names.

    Also for a module that kept its path but not all its names (``nerlib.cli``).

    Parameters
    ----------
    package:
        The subpackage's (or module's) name, e.g. ``"nerlib.data"``.
    public:
        Public name -> submodule (relative to the package) that defines it; imported on first use,
        so importing the package stays cheap.

    Returns
    -------
    tuple
        ``(__getattr__, __dir__)`` for the package's module namespace. A name that is not public but
        was defined by the old flat module of the same name is returned with a ``DeprecationWarning``.
    """
    old_homes = MOVED.get(package, ())

    def __getattr__(name: str) -> Any:
        if name in public:
            return getattr(importlib.import_module(f"{package}.{public[name]}"), name)
        for home in old_homes:
            module = importlib.import_module(home)
            if hasattr(module, name):
                warnings.warn(_message(f"{package}.{name}", f"{home}.{name}"), DeprecationWarning, stacklevel=2)
                return getattr(module, name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(public) | set(sys.modules[package].__dict__))

    __getattr__.public = dict(public)  # type: ignore[attr-defined]
    return __getattr__, __dir__
