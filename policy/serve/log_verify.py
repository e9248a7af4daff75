"""`policy log verify FILE...`: check a decision log's chain (module `decision_log`).

The files are read in the order given as one chain (rotated files first: `FILE.000001 ... FILE`).
Every line must be one JSON object whose `seq` is one more than the line before and whose `prev`
is the SHA-256 of the line before; the very first line of a log (`seq` 1) carries the genesis
hash. An edited line breaks the chain at the line after it, a removed, inserted or reordered one
where it happened. Lines removed from the end show against `FILE.head` (the last line written),
when the last file given has one. A last line cut short (a process killed while writing it: its
requests were never answered) is said, not counted as a problem. Problems, one per line:
`FILE:LINE:1: CODE: message` with the codes MALFORMED_LINE, CHAIN_BROKEN and LOG_TRUNCATED
(`policy/core/errors.py`).
"""

from __future__ import annotations

import json
import os

from ..core.errors import DataError, PolicyIOError, Problem
from ..core.policy_files import display_path
from .log_chain import GENESIS, HEAD_SUFFIX, line_hash


class Verified:
    """What a verified chain holds: how many lines, the last seq and hash, and every decision id
    (in order), for callers that check a decision was logged."""

    def __init__(self) -> None:
        self.lines = 0
        self.seq: int | None = None
        self.last_hash: str | None = None
        self.decision_ids: list[str] = []
        self.notes: list[str] = []  # what is not a problem but worth saying


def verify(paths: list[str]) -> Verified:
    """Check the chain of `paths`; DataError listing every problem found, PolicyIOError when a
    file cannot be read."""
    found = Verified()
    problems: list[Problem] = []
    for position, path in enumerate(paths):
        name = display_path(path)
        try:
            with open(path, "rb") as handle:
                for number, raw in enumerate(handle, 1):
                    if not raw.endswith(b"\n") and position == len(paths) - 1:
                        # the log's very end, cut short: a process killed while it wrote a
                        # commit, whose requests were never answered (the service cuts it off
                        # when it opens the log again)
                        found.notes.append(f"{name}:{number}: the last line was cut short "
                                           "while it was written (never answered)")
                        break
                    _check_line(name, number, raw, found, problems)
        except OSError as exc:
            raise PolicyIOError(f"{name}: cannot read: {exc.strerror or exc}") from None
    if paths:
        problems += _head_problems(paths[-1], found)
    if problems:
        raise DataError(problems)
    return found


def _check_line(name: str, number: int, raw: bytes, found: Verified,
                problems: list[Problem]) -> None:
    line = raw[:-1] if raw.endswith(b"\n") else raw
    try:
        record = json.loads(line)
        seq, prev = record["seq"], record["prev"]
        if type(seq) is not int or type(prev) is not str:
            raise TypeError
    except (ValueError, KeyError, TypeError):
        problems.append(Problem(name, number, 1, "MALFORMED_LINE",
                                "not a decision-log line (one JSON object with seq and prev)"))
        found.seq, found.last_hash = None, None  # the chain cannot be followed past it
        return
    if not raw.endswith(b"\n"):
        problems.append(Problem(name, number, 1, "MALFORMED_LINE",
                                "the file's last line has no line break, and later files follow"))
    if found.seq is None and found.lines == 0:  # the first line given
        if seq == 1 and prev != GENESIS:
            problems.append(Problem(name, number, 1, "CHAIN_BROKEN",
                                    "the first line of the log does not carry the genesis hash"))
    elif found.seq is not None:
        if seq != found.seq + 1:
            problems.append(Problem(name, number, 1, "CHAIN_BROKEN",
                                    f"seq {seq} follows seq {found.seq}: a line was removed, "
                                    "inserted or reordered here"))
        elif prev != found.last_hash:
            problems.append(Problem(name, number, 1, "CHAIN_BROKEN",
                                    "this line does not carry the hash of the line before it: "
                                    "that line was edited, or lines were removed, inserted or "
                                    "reordered here"))
    found.lines += 1
    found.seq, found.last_hash = seq, line_hash(line)
    decision_id = record.get("decision_id")
    if isinstance(decision_id, str):
        found.decision_ids.append(decision_id)


def _head_problems(path: str, found: Verified) -> list[Problem]:
    """The last file against its head: the head names a line the file no longer ends with."""
    head_path = path + HEAD_SUFFIX
    if not os.path.isfile(head_path):
        return []
    try:
        with open(head_path, "rb") as handle:
            head = json.loads(handle.read(4096))
        seq, last = head["seq"], head["hash"]
        if head.get("file") != os.path.basename(path) or type(seq) is not int:
            return []
    except (OSError, ValueError, KeyError, TypeError):
        return []  # a head cut short by a crash: the chain stands on its own
    name = display_path(path)
    if found.seq is None or seq > found.seq:
        return [Problem(name, found.lines, 1, "LOG_TRUNCATED",
                        f"the log ends at seq {found.seq}, but its head ({display_path(head_path)}"
                        f") names seq {seq}: lines were removed from the end")]
    if seq == found.seq and last != found.last_hash:
        return [Problem(name, found.lines, 1, "CHAIN_BROKEN",
                        "the last line is not the one the head names: it was edited")]
    return []  # seq < found.seq: lines written after the head (a power cut): not an error
