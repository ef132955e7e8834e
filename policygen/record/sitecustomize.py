"""Start-up hook for `policygen record`'s child processes (copied into a temporary folder first on
PYTHONPATH; never imported from the package). Installs the recorder, then runs the
``sitecustomize`` the interpreter would have run without us, so an existing one keeps working."""

import importlib
import os
import sys

try:
    import _policygen_record_hook

    _policygen_record_hook.install()
except Exception:  # recording is best effort; the user's command must run regardless
    pass


def _chain() -> None:
    here = os.path.dirname(os.path.realpath(__file__))
    ours = sys.modules.pop("sitecustomize", None)
    saved = list(sys.path)
    sys.path[:] = [p for p in sys.path if os.path.realpath(p or ".") != here]
    try:
        importlib.import_module("sitecustomize")
    except ImportError:
        if ours is not None:
            sys.modules["sitecustomize"] = ours
    finally:
        sys.path[:] = saved


_chain()
