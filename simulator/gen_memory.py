"""Keep freed memory in the process while the generator runs.

The generator allocates and frees many gigabytes of short-lived buffers. Arrow's default
allocator (mimalloc) and glibc give large freed blocks back to the kernel, which then has to
zero fresh pages for the next buffer: measured at about a quarter of the generator's CPU
time. While generating, Arrow allocates through the system allocator and glibc keeps freed
memory for reuse; afterwards the settings are restored and the memory handed back.
Elsewhere than glibc (macOS, musl) this does nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import threading
from collections.abc import Iterator

import pyarrow as pa

_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
_GLIBC_DEFAULTS = {
    _M_TRIM_THRESHOLD: 128 * 1024,
    _M_TOP_PAD: 128 * 1024,
    _M_MMAP_THRESHOLD: 128 * 1024,
}
_WHILE_GENERATING = {_M_TRIM_THRESHOLD: 1 << 40, _M_TOP_PAD: 64 << 20, _M_MMAP_THRESHOLD: 1 << 30}
_lock = threading.Lock()
_depth = 0
_saved_pool: pa.MemoryPool | None = None


def _glibc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def _mallopt(libc, settings: dict[int, int]) -> None:
    for option, value in settings.items():
        if not libc.mallopt(option, value) and option == _M_MMAP_THRESHOLD:
            libc.mallopt(option, 32 << 20)  # older glibc caps the threshold at 32 MiB


@contextlib.contextmanager
def reuse_memory() -> Iterator[None]:
    """Within the block, freed buffers are reused instead of returned to the kernel.
    Re-entrant and thread-safe: the outermost block sets and restores."""
    global _depth, _saved_pool
    libc = _glibc()
    with _lock:
        _depth += 1
        if _depth == 1 and libc is not None:
            _mallopt(libc, _WHILE_GENERATING)
            _saved_pool = pa.default_memory_pool()
            pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and libc is not None:
                pa.set_memory_pool(_saved_pool)
                _saved_pool = None
                _mallopt(libc, _GLIBC_DEFAULTS)
                libc.malloc_trim(0)
