"""Keep numba's on-disk cache of the compiled step in step with the files its helpers live in.

numba's cache (``cache=True``) checks only the modification time and size of the file that defines a compiled
function, not of the files whose ``inline="always"`` helpers were compiled into it. The step (:mod:`.step`) and
Adam (:mod:`.adam`) inline helpers from :mod:`.layers`, :mod:`.nt_xent` and :mod:`._jit`: after an edit to one of
those, the cached step would still be the old code. No library option tracks these dependencies, so this does it by
hand: when a helper file is newer than the file that compiles it, that file's modification time is set to now, and
numba compiles again. Must run before :mod:`.step` and :mod:`.adam` are imported (numba reads the time then).
"""

from __future__ import annotations

import os
from pathlib import Path

_HERE = Path(__file__).resolve().parent
#: File that defines a cached compiled function → files whose helpers are compiled into it.
DEPENDENCIES = {"step.py": ("layers.py", "nt_xent.py", "_jit.py"), "adam.py": ("_jit.py",)}


def refresh_cache_stamp(folder: Path = _HERE, dependencies: dict | None = None) -> list[str]:
    """Touch every file of :data:`DEPENDENCIES` that is older than one of its helpers' files.

    Parameters
    ----------
    folder
        The folder holding the files (this package's).
    dependencies
        File → the files its compiled helpers come from (default :data:`DEPENDENCIES`).

    Returns
    -------
    The names of the files touched (none where the package is read-only: an installed copy is written all at once).
    """
    touched = []
    for name, helpers in (DEPENDENCIES if dependencies is None else dependencies).items():
        target = folder / name
        try:
            newest = max((folder / h).stat().st_mtime for h in helpers)
            if newest > target.stat().st_mtime:
                os.utime(target)
                touched.append(name)
        except OSError:  # read-only or missing: nothing to refresh
            continue
    return touched
