"""Immutable records: tuples with named fields, as `collections.namedtuple` makes them.

A record class names its fields by annotations, in order (and declares no slots, as a named
tuple's subclass does not, so that it has no `__dict__`):

    >>> class Point(Record):
    ...     __slots__ = ()
    ...     x: int
    ...     y: int
    >>> Point(1, y=2), Point(1, 2) == (1, 2), Point(1, 2)._replace(y=5).y
    (Point(x=1, y=2), True, 5)

Not namedtuple itself: importing `collections` (with operator, keyword, reprlib and heapq) and
generating each class's code costs about 2 ms of every start-up, a tenth of what a warm
`policy evaluate` may spend beyond the interpreter, and its records (problems, policy files,
decisions, compiled revisions) need no more than this. tests/test_record.py checks that records
behave as named tuples do: construction, equality, hashing, order, repr, pickling, copying,
`_fields`, `_replace` and `_asdict`.
"""

from __future__ import annotations

try:  # the C itemgetter that `operator` re-exports, without loading operator.py's own code
    from _operator import itemgetter
except ImportError:  # pragma: no cover - another interpreter
    from operator import itemgetter

TYPE_CHECKING = False  # typing.TYPE_CHECKING, for mypy, without the import
if TYPE_CHECKING:
    from typing import Any, Self


class Record(tuple):
    """Base of record classes: each annotation of a subclass is a field, read by name or index."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()

    def __init_subclass__(cls, **options: Any) -> None:
        super().__init_subclass__(**options)
        names = tuple(cls.__dict__.get("__annotations__", {}))
        if not names:
            return  # a subclass that only adds methods keeps its parent's fields
        if cls._fields:
            raise TypeError(f"{cls.__name__}: a record's fields are not extended by a subclass")
        for index, name in enumerate(names):
            if name in cls.__dict__ or name.startswith("_"):
                raise TypeError(f"{cls.__name__}.{name}: a field has no default and no leading _")
            setattr(cls, name, property(itemgetter(index), doc=f"Field {index}: {name}"))
        cls._fields = names

    def __new__(cls, *values: Any, **named: Any) -> Self:
        fields = cls._fields
        if named:
            values = (*values, *_by_name(cls.__name__, fields[len(values):], named))
        if len(values) != len(fields):
            raise TypeError(f"{cls.__name__} takes {len(fields)} fields ({', '.join(fields)}), "
                            f"not {len(values)}")
        return tuple.__new__(cls, values)

    def __getnewargs__(self) -> tuple[Any, ...]:  # pickling and copying call __new__ with these
        return tuple(self)

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}"
                          for name, value in zip(self._fields, self, strict=True))
        return f"{type(self).__name__}({shown})"

    def _replace(self, **changes: Any) -> Self:
        unknown = changes.keys() - set(self._fields)
        if unknown:
            raise ValueError(f"{type(self).__name__} has no field {sorted(unknown)[0]!r}")
        return type(self)(*(changes.get(name, value) for name, value in
                                   zip(self._fields, self, strict=True)))

    def _asdict(self) -> dict[str, Any]:
        return dict(zip(self._fields, self, strict=True))


def _by_name(kind: str, names: tuple[str, ...], given: dict[str, Any]) -> tuple[Any, ...]:
    """The values of `names` from keyword arguments; TypeError for one missing or left over."""
    missing = [name for name in names if name not in given]
    extra = sorted(given.keys() - set(names))
    if missing or extra:
        what = f"no field {missing[0]!r}" if missing else f"an unexpected field {extra[0]!r}"
        raise TypeError(f"{kind}: {what}")
    return tuple(given[name] for name in names)
