"""The ``cli`` extra (matplotlib, plotext, tqdm, scikit-learn), imported only when used.

The core depends on MLX alone; the command, the plots and the demo import these
inside the functions that need them, through :func:`require`, so a missing one
is one clear message rather than an ``ImportError`` traceback.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = ["MissingExtraError", "pyplot", "require"]


class MissingExtraError(ImportError):
    """A package of the ``cli`` extra is not installed (the message says how to install it)."""


def require(module: str, feature: str) -> ModuleType:
    """Import ``module`` for ``feature``, or raise :class:`MissingExtraError` naming the extra."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtraError(
            f'{feature} needs the cli extra: pip install "mlx-lr-scheduler[cli]" '
            f"({module.split('.')[0]} is missing)"
        ) from None


def pyplot(feature: str = "plotting") -> Any:
    """matplotlib's pyplot on the Agg backend (files only, no window)."""
    matplotlib = require("matplotlib", feature)
    matplotlib.use("Agg")
    return require("matplotlib.pyplot", feature)
