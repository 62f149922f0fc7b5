"""fastkernels' worker threads under threadpoolctl (``threadpool_limits``, ``threadpool_info``).

threadpoolctl finds the native libraries loaded into the process by their file names and
asks a controller class for each to read and set its thread count. fastkernels registers
one for its extension module (identified by the two functions it exports for this,
``fastkernels_get_num_threads`` and ``fastkernels_set_num_threads``), so that
``threadpool_limits(1)`` caps fastkernels as it caps OpenBLAS or OpenMP, and
``threadpool_info()`` lists it with ``user_api`` and ``internal_api`` "fastkernels".

Importing threadpoolctl takes longer than importing fastkernels, so ``import fastkernels``
never imports it: it registers the controller at once when threadpoolctl is already
imported, and otherwise when threadpoolctl is first imported (a finder on
``sys.meta_path`` that steps aside after that import).
"""
from __future__ import annotations

import sys

from . import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations are strings: no typing import at run time (import fastkernels stays quick)
    from typing import Any


def register(threadpoolctl: Any) -> None:
    """Registers the controller with this threadpoolctl module (once)."""
    if getattr(threadpoolctl, "_fastkernels_registered", False) or not hasattr(threadpoolctl, "LibController"):
        return

    class FastkernelsController(threadpoolctl.LibController):  # type: ignore[misc]
        """fastkernels' worker pool: the most threads any of its kernels uses."""

        user_api = "fastkernels"
        internal_api = "fastkernels"
        filename_prefixes = ("_native.",)
        check_symbols = ("fastkernels_get_num_threads", "fastkernels_set_num_threads")

        def get_num_threads(self) -> int:
            return int(self.dynlib.fastkernels_get_num_threads())

        def set_num_threads(self, num_threads: int) -> None:
            self.dynlib.fastkernels_set_num_threads(int(num_threads))

        def get_version(self) -> str:
            return __version__

    threadpoolctl.register(FastkernelsController)
    threadpoolctl._fastkernels_registered = True


class _RegisterOnImport:
    """A meta path finder that registers the controller once threadpoolctl is imported."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != "threadpoolctl":
            return None
        import importlib.util

        self.remove()
        spec = importlib.util.find_spec(name)
        loader = getattr(spec, "loader", None)
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        execute = loader.exec_module

        def exec_module(module: Any) -> None:
            execute(module)
            try:
                register(module)
            except Exception:  # never break the user's import of threadpoolctl
                pass

        loader.exec_module = exec_module
        return spec

    def remove(self) -> None:
        try:
            sys.meta_path.remove(self)
        except ValueError:
            pass


def install() -> None:
    """Called by ``import fastkernels``."""
    module = sys.modules.get("threadpoolctl")
    if module is not None:
        register(module)
    elif not any(isinstance(finder, _RegisterOnImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _RegisterOnImport())
