"""preflight: stop a broken model before it reaches a Triton Inference Server.

``preflight.check(repo, target={...})`` runs a check in-process and returns the typed
:class:`~preflight.model.RunResult` (see :mod:`preflight.api`). Importing the package stays
light: the API and the data types load on first use.
"""

from __future__ import annotations

# Not typing.TYPE_CHECKING: importing typing would cost `import preflight` more than all the
# rest of it; type checkers treat any name TYPE_CHECKING as true.
TYPE_CHECKING = False

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .api import check as check
    from .model import Location as Location
    from .model import Result as Result
    from .model import RunResult as RunResult
    from .model import Severity as Severity
    from .model import Status as Status
    from .model import Target as Target

__all__ = ["Location", "Result", "RunResult", "Severity", "Status", "Target", "check"]


def __getattr__(name: str) -> object:
    if name == "check":
        from .api import check

        return check
    if name in __all__:
        from . import model

        return getattr(model, name)
    raise AttributeError(f"module 'preflight' has no attribute {name!r}")
