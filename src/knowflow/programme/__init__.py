"""The automatic conference programme (problem B): a pure package, no Django.

``instance`` reads and validates the format, ``problem`` indexes it and refuses what cannot be
scheduled (naming the talks), ``warm_start`` finds a good programme fast, ``solver`` improves
and bounds it with CP-SAT and deals out the rooms, ``cli`` is ``knowflow programme``.
"""

import time

# Importing OR-Tools and SciPy below takes most of a second; `knowflow programme` counts it in
# its --time-limit (see cli.py), so the clock starts before them.
IMPORTS_BEGAN = time.perf_counter()

from knowflow.programme.instance import (  # noqa: E402
    Conference,
    ProgrammeInputError,
    conference_from_json,
    conference_load,
    placements_from_json,
)
from knowflow.programme.problem import ProgrammeInfeasible  # noqa: E402
from knowflow.programme.solver import (  # noqa: E402
    DEFAULT_MOVE_PENALTY,
    ProgrammeNotFound,
    ProgrammeResult,
    programme_solve,
)

__all__ = [
    "DEFAULT_MOVE_PENALTY",
    "Conference",
    "ProgrammeInfeasible",
    "ProgrammeInputError",
    "ProgrammeNotFound",
    "ProgrammeResult",
    "conference_from_json",
    "conference_load",
    "placements_from_json",
    "programme_solve",
]
