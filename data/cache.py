"""Results of read-side queries cached by their inputs and the data version.

The key includes ``queries.data_version(engine)``, which changes with every load, so a load
invalidates everything without any explicit purge. Safe for several workers (each has its own
memory); bounded by an LRU size.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from sqlalchemy import Engine

F = TypeVar("F", bound=Callable[..., Any])
_LOCK = threading.Lock()
_STORE: OrderedDict[tuple, Any] = OrderedDict()
MAX_ENTRIES = 1024  # a view is at most a few hundred kB; every province's default view fits


def cached(fn: F) -> F:
    """Cache ``fn(engine, *args, **kwargs)`` by engine URL, data version and arguments."""

    @wraps(fn)
    def wrapper(engine: Engine, *args: Any, **kwargs: Any) -> Any:
        from data.queries import data_version

        key = (fn.__module__, fn.__qualname__, str(engine.url), data_version(engine), _freeze(args),
               _freeze(sorted(kwargs.items())))
        with _LOCK:
            if key in _STORE:
                _STORE.move_to_end(key)
                return _STORE[key]
        value = fn(engine, *args, **kwargs)
        with _LOCK:
            _STORE[key] = value
            while len(_STORE) > MAX_ENTRIES:
                _STORE.popitem(last=False)
        return value

    return wrapper  # type: ignore[return-value]


def _freeze(value: Any) -> Any:
    """Hashable form of arguments (lists and dicts become tuples)."""
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    return value


def clear() -> None:
    with _LOCK:
        _STORE.clear()
