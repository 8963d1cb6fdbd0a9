"""Import ``pkg.module:name`` or ``path/to/file.py:name`` references named by specs."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any


class ImportRefError(Exception):
    """A reference could not be imported; the message says what to fix."""


def import_ref(ref: str, *, base_dir: Path | None = None) -> Any:
    """Import the object a reference names.

    ``pkg.module:func`` imports with the spec's folder and the working directory on
    the path; ``file.py:func`` loads the file relative to the spec's folder.
    """
    module_part, sep, attr = ref.rpartition(":")
    if not sep or not module_part or not attr:
        raise ImportRefError(f"{ref!r} must look like 'pkg.module:name' or 'file.py:name'")
    if module_part.endswith(".py"):
        file = Path(module_part)
        if not file.is_absolute() and base_dir is not None:
            file = base_dir / file
        if not file.is_file():
            raise ImportRefError(f"file {module_part!r} not found (looked at {file})")
        name = f"_harness_user_{abs(hash(str(file.resolve())))}"
        module = sys.modules.get(name)
        if module is None:
            spec = importlib.util.spec_from_file_location(name, file)
            if spec is None or spec.loader is None:
                raise ImportRefError(f"cannot load {file}")
            module = importlib.util.module_from_spec(spec)
            try:
                spec.loader.exec_module(module)
            except Exception as exc:
                raise ImportRefError(
                    f"importing {file} failed: {type(exc).__name__}: {exc}"
                ) from exc
            sys.modules[name] = module
    else:
        extra = [str(p) for p in (base_dir, Path.cwd()) if p is not None]
        added = [p for p in extra if p not in sys.path]
        sys.path[:0] = added
        try:
            module = importlib.import_module(module_part)
        except ImportError as exc:
            raise ImportRefError(
                f"cannot import module {module_part!r}: {exc}; make sure it is installed or "
                f"on the path next to the spec"
            ) from exc
        except Exception as exc:
            raise ImportRefError(
                f"importing {module_part!r} failed: {type(exc).__name__}: {exc}"
            ) from exc
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ImportRefError(f"module {module_part!r} has no attribute {attr!r}") from None


_CALLABLES: dict[tuple[str, str], Any] = {}


def import_callable(ref: str, base_dir: Path | None) -> Any:
    """Import (once per reference and folder) the function a reference names.

    Raises:
        ImportRefError: it cannot be imported, or what it names is not callable.
    """
    key = (ref, str(base_dir or ""))
    fn = _CALLABLES.get(key)
    if fn is None:
        fn = import_ref(ref, base_dir=base_dir)
        if not callable(fn):
            raise ImportRefError(f"{ref!r} is not callable")
        _CALLABLES[key] = fn
    return fn
