"""Import the functions' handlers from their synthesized asset folders."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .errors import TemplateError
from .functions import FunctionSpec

Handler = Callable[[dict[str, Any], Any], Any]


def load_handler(function: FunctionSpec, *, isolate: bool = False) -> Handler:
    """Import the function's handler from its synthesized asset folder.

    The folder goes first on ``sys.path``, and the handler's top-level package is
    imported afresh, like a new Lambda container: no cached clients or settings carry
    over from an earlier app served by this process.

    With ``isolate``, for functions whose packages share a name (two collections both
    ship ``item_service``, with different generated validators), the package is imported
    under a name of its own, ``_local_<logical id>_<package>``, so neither sees the
    other's modules, settings or clients. Its relative imports follow that name; an
    absolute import of its own package would not, which the item service never does.
    """
    module_name, _, attribute = function.handler.rpartition(".")
    package, _, submodule = module_name.partition(".")
    code_dir = function.code_dir
    if str(code_dir) in sys.path:
        sys.path.remove(str(code_dir))
    sys.path.insert(0, str(code_dir))
    top_name = f"_local_{function.logical_id}_{package}" if isolate else package
    for name in [m for m in sys.modules if m == top_name or m.startswith(top_name + ".")]:
        del sys.modules[name]
    try:
        if isolate:
            _import_as(top_name, code_dir, package)
        module = importlib.import_module(f"{top_name}.{submodule}" if submodule else top_name)
    except ImportError as error:
        raise TemplateError(f"cannot import handler {function.handler}: {error}") from error
    handler = getattr(module, attribute, None)
    if not callable(handler):
        raise TemplateError(f"handler {function.handler} is not a function")
    return handler  # type: ignore[no-any-return]


def load_handlers(functions: Iterable[FunctionSpec]) -> dict[str, Handler]:
    """Import every function's handler once, isolating packages that share a name."""
    functions = list(functions)
    packages = Counter(f.handler.partition(".")[0] for f in functions)
    return {
        f.logical_id: load_handler(f, isolate=packages[f.handler.partition(".")[0]] > 1)
        for f in functions
    }


def _import_as(name: str, code_dir: Path, package: str) -> None:
    """Import ``code_dir/package`` (a package or a module) as the module ``name``."""
    package_dir = code_dir / package
    if package_dir.is_dir():
        init = package_dir / "__init__.py"
        spec = importlib.util.spec_from_file_location(
            name, init if init.is_file() else None, submodule_search_locations=[str(package_dir)]
        )
    else:
        spec = importlib.util.spec_from_file_location(name, code_dir / f"{package}.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"no {package} in {code_dir}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except FileNotFoundError as error:
        del sys.modules[name]
        raise ImportError(f"no {package} in {code_dir}") from error
