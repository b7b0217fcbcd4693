"""The optional C accelerator (``native/``, the module ``_readiness_speedups``).

Every user of it keeps a pure-Python path with the same results; this says whether the
accelerator is there for it: installed, built with the functions it needs (an older build, or one
made without OpenSSL's headers, lacks some), and not switched off with ``READINESS_PURE_PYTHON``.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

#: Set (to anything) to run every pure-Python path; not a setting (``config.NOT_SETTINGS``).
OFF_SWITCH = "READINESS_PURE_PYTHON"


def accelerator(*needs: str) -> ModuleType | None:
    """The accelerator module when it has every function or type in ``needs``; else None."""
    if os.environ.get(OFF_SWITCH):
        return None
    try:
        module = importlib.import_module("_readiness_speedups")
    except ImportError:
        return None
    return module if all(hasattr(module, name) for name in needs) else None
