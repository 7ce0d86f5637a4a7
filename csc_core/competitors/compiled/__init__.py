"""Compiled (numba) pieces of the competitors' fast CPU step: the ZINB loss gradient and the noisy minibatch.

:mod:`._math` (settings, float32 ``exp``/``log``, bfloat16 bits), :mod:`.zinb_grad`, :mod:`.noise`. Their compiled
code is kept in numba's on-disk cache, which does not notice edits to :mod:`._math`; the stamps are refreshed here
(:func:`csc_core.kernels.compiled._cache.refresh_cache_stamp`) before they are imported.
"""

from pathlib import Path

from ...kernels.compiled._cache import refresh_cache_stamp

refresh_cache_stamp(Path(__file__).resolve().parent, {"zinb_grad.py": ("_math.py",), "noise.py": ("_math.py",)})
