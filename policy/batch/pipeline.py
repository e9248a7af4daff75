"""The two helper threads of a run: one reads ahead, one formats and writes behind, so reading,
deciding and writing overlap (pyarrow's parsers, kernels and file writes release the GIL)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator, Iterator
from types import TracebackType
from typing import Any


class InOrder:
    """Runs calls on a second thread, in the order given, at most a few behind: formatting and
    writing results (Arrow kernels and file writes release the GIL) overlap the evaluation of
    the next chunk. A call's error is raised in the caller at the next `submit` or at exit; on
    the way out of a failure the calls still waiting are dropped."""

    def __init__(self, depth: int = 2):
        self.error: BaseException | None = None
        self.waiting: queue.Queue[tuple[Callable[..., object], tuple[Any, ...]] | None] = \
            queue.Queue(maxsize=depth)
        self.thread = threading.Thread(target=self._work, name="policy-batch-writer", daemon=True)
        self.thread.start()

    def _work(self) -> None:
        while True:
            call = self.waiting.get()
            if call is None:
                return
            if self.error is None:
                function, args = call
                try:
                    function(*args)
                except BaseException as exc:  # raised in the caller
                    self.error = exc

    def submit(self, function: Callable[..., object], *args: Any) -> None:
        if self.error is not None:
            raise self.error
        self.waiting.put((function, args))

    def __enter__(self) -> InOrder:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if kind is not None and self.error is None:
            self.error = exc  # stop: the output is going to be thrown away
        self.waiting.put(None)
        self.thread.join()
        if kind is None and self.error is not None:
            raise self.error


_END = object()


def prefetched(chunks: Generator[Any, None, None], depth: int = 2) -> Iterator[Any]:
    """The items of `chunks`, read by a second thread while this one evaluates and writes:
    pyarrow parses without holding the GIL, so on two cores reading overlaps the rest. At most
    `depth` items wait, so memory stays bounded; the reader's errors are raised here, in order."""
    waiting: queue.Queue[tuple[Any, BaseException | None]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def read() -> None:
        try:
            for chunk in chunks:
                while not stop.is_set():
                    try:
                        waiting.put((chunk, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            waiting.put((_END, None))
        except BaseException as exc:  # handed to the consumer, which raises it
            waiting.put((_END, exc))
        finally:
            chunks.close()  # the reader's files are closed here, by the thread that used them

    reader = threading.Thread(target=read, name="policy-batch-reader", daemon=True)
    reader.start()
    try:
        while True:
            chunk, error = waiting.get()
            if error is not None:
                raise error
            if chunk is _END:
                return
            yield chunk
    finally:
        stop.set()
        reader.join(timeout=5)
