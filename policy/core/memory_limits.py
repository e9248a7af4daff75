"""Running out of memory cleanly: under an address-space or data limit (`ulimit -v`, that is
RLIMIT_AS; RLIMIT_DATA) a batch run stops with one OUT_OF_MEMORY line, never a signal.

Python and Arrow report most failed allocations as `MemoryError`, and a thread that cannot start
as an exception; `out_of_memory` tells those apart from other errors. Some native code under
pyarrow does not check, though: under `ulimit -v` a failed allocation in the Parquet writer's
dictionary encoder was a SIGSEGV, a C++ thread that could not allocate aborted (SIGABRT), and
glibc ends the process (exit 127) when a new thread's thread-local storage cannot be mapped. So a
run under such a limit keeps a margin (`Budget`): before each block it compares the process's
size with the limit and stops while MARGIN is still free, so those allocations do not fail.

No pyarrow here: `policy batch` converts a failed `import pyarrow` too.
"""

from __future__ import annotations

import os

from .errors import OutOfMemory

# What a run may still allocate between two checks, at most: a block being read (4 MiB of CSV,
# 65,536 Parquet rows), evaluated, and rendered, each in a pipeline two deep, plus a thread or
# two's stack and arena. Measured (benchmarks/memory_limits.py): the address space grew by at
# most 77 MB after a check in 1,000,000-row runs of every input and output format, and by 150
# MB in a file of junk written as CSV (every row a bad one with a long message).
MARGIN = 192 << 20
MIB = 1 << 20

# the words the C library, Python and Arrow use when memory or a thread could not be had
_EXHAUSTED = ("can't start new thread", "failed to launch worker thread",
              "cannot allocate memory", "failed to map segment", "resource temporarily unavailable")


def out_of_memory(exc: BaseException) -> bool:
    """Whether `exc` (or an exception it was raised from) says memory or a thread could not be
    had: MemoryError (pyarrow's ArrowMemoryError is one), a thread that could not start, a shared
    library that could not be mapped (an import under a limit)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, MemoryError):
            return True
        if isinstance(current, (RuntimeError, ImportError, OSError)) or \
                type(current).__module__.startswith("pyarrow"):
            text = str(current).lower()
            if any(words in text for words in _EXHAUSTED):
                return True
        current = current.__cause__ or current.__context__
    return False


def before_pyarrow() -> None:
    """In a process started for one batch run, before pyarrow is imported (each allocator reads
    its settings from the environment as it loads; a choice made there already is kept):

    - under a memory limit, Arrow allocates from the C library's malloc. Its default, mimalloc,
      reserves address space in arenas of 1 GiB at its first allocation (pyarrow makes some at
      import), which a limit counts whole; malloc maps what is asked for and unmaps it when
      freed, so the process's size is what it holds, and `Budget` measures something real;
    - otherwise mimalloc keeps freed pages for a second before it hands them back, so the next
      blocks of a run reuse them instead of faulting in fresh ones for the kernel to zero
      (`batch.use_reusing_memory_pool`)."""
    if limits():
        pool = "ARROW_DEFAULT_MEMORY_POOL"  # (an environment variable, not a problem code)
        os.environ.setdefault(pool, "system")
    else:
        delay = "MIMALLOC_PURGE_DELAY"  # (an environment variable: milliseconds)
        os.environ.setdefault(delay, "1000")


def limits() -> list[tuple[str, int, int]]:
    """The finite soft limits on this process's memory: (name, bytes, field of /proc/self/statm
    that counts against it: 0 the address space, 5 data and stack)."""
    try:
        import resource
    except ImportError:  # not a Unix: no such limits
        return []
    found = []
    for name, statm_field in {"RLIMIT_AS": 0, "RLIMIT_DATA": 5}.items():
        soft, _ = resource.getrlimit(getattr(resource, name))
        if soft != resource.RLIM_INFINITY:
            found.append((name, soft, statm_field))
    return found


def _statm() -> list[int] | None:
    """The process's sizes in bytes from /proc/self/statm (None without /proc)."""
    try:
        with open("/proc/self/statm", "rb") as handle:
            fields = handle.read().split()
    except OSError:
        return None
    page = os.sysconf("SC_PAGE_SIZE")
    return [int(field) * page for field in fields]


class Budget:
    """The memory limits of this process, checked before each block of a run. Without a limit
    (or without /proc to measure against it) `check` does nothing."""

    def __init__(self, display: str, margin: int = MARGIN) -> None:
        self.display = display
        self.margin = margin
        self.limits = limits() if _statm() is not None else []

    def check(self) -> None:
        """Raise OutOfMemory when less than the margin is left under a limit."""
        if not self.limits:
            return
        sizes = _statm()
        if sizes is None:
            return
        for name, limit, field in self.limits:
            if limit - sizes[field] < self.margin:
                raise OutOfMemory(self.display, (
                    f"out of memory: the process uses {sizes[field] // MIB:,} MB of the "
                    f"{limit // MIB:,} MB its {name} limit allows, and a block of the run needs "
                    f"up to {self.margin // MIB} MB more"))
