"""Python kernels started ahead of time and reused, one page notebook at a time.

Starting a kernel and importing pandas, matplotlib and seaborn costs about as much as running a
page's cells. The runner therefore starts its kernels while the data is still being ingested,
imports the heavy modules once, and hands each kernel one notebook after another to papermill
(``km=``). Between two notebooks the kernel is put back to its state right after warm-up: no
names left from the previous page, no open figures, the same matplotlib settings, execution
counts from 1. Modules stay imported; that is the point.
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

log = logging.getLogger("helpers.kernels")

KERNEL_ARGS = [
    "--IPKernelApp.log_level=CRITICAL",  # local kernels: no "TCP without encryption" notice
    "--HistoryManager.hist_file=:memory:",  # as nbclient does: no shared history database
]
RESET = (
    "get_ipython().run_line_magic('reset', '-f')\n"
    "import helpers.run.kernels\n"
    "helpers.run.kernels.restore_state()\n"
    "del helpers\n"
    "get_ipython().execution_count = 1\n"
)
WARM_UP = "import helpers.report\nimport helpers.run.kernels\nhelpers.run.kernels.remember_state()\n" + RESET

_state: dict[str, Any] = {}


def remember_state() -> None:
    """Inside a kernel, after warm-up: the matplotlib settings every notebook starts from."""
    import matplotlib

    _state["rc"] = dict(matplotlib.rcParams)


def restore_state() -> None:
    """Inside a kernel, between notebooks: close figures and put matplotlib's settings back."""
    import matplotlib

    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")
    if "rc" in _state:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            matplotlib.rcParams.update(_state["rc"])


class KernelError(RuntimeError):
    pass


class _Manager(AsyncKernelManager):
    """A kernel manager that remembers the clients papermill opens, to close them afterwards."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.opened: list[Any] = []

    def client(self, **kwargs: Any) -> Any:
        opened = super().client(**kwargs)
        self.opened.append(opened)
        return opened

    def close_clients(self) -> None:
        for opened in self.opened:
            opened.stop_channels()
        self.opened.clear()


async def _execute(manager: _Manager, code: str, timeout: float) -> None:
    client = manager.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=timeout)
        reply = await client.execute_interactive(
            code, timeout=timeout, store_history=False, output_hook=lambda _: None
        )
    finally:
        manager.close_clients()
    if reply["content"]["status"] != "ok":
        content = reply["content"]
        raise KernelError(f"{content.get('ename')}: {content.get('evalue')}")


class KernelPool:
    """``size`` python3 kernels, started in the background once ``start`` is called."""

    def __init__(self, size: int, cwd: Path, kernel_name: str = "python3") -> None:
        self.size = max(1, size)
        self.cwd = cwd
        self.kernel_name = kernel_name
        self._idle: queue.Queue[_Manager | None] = queue.Queue()
        self._live: list[_Manager] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._errors: list[BaseException] = []

    @property
    def started(self) -> bool:
        return bool(self._threads)

    def start(self) -> KernelPool:
        """Launch the kernels and warm them up in background threads (idempotent)."""
        # IPython is imported here, in the calling thread, before any of the run's threads start:
        # imported by two threads at once (a kernel manager's, papermill's, matplotlib's first
        # canvas in the template runner) it is seen half-initialised by one of them.
        import IPython  # noqa: F401

        with self._lock:
            if not self._threads:
                for _ in range(self.size):
                    self._spawn()
        return self

    def _spawn(self) -> None:
        thread = threading.Thread(target=self._launch, name="kernel-start", daemon=True)
        thread.start()
        self._threads.append(thread)

    def _launch(self) -> None:
        try:
            manager = _Manager(kernel_name=self.kernel_name)
            run_sync(manager.start_kernel)(cwd=str(self.cwd), extra_arguments=KERNEL_ARGS)
            with self._lock:
                self._live.append(manager)
            run_sync(_execute)(manager, WARM_UP, 180)
            self._idle.put(manager)
        except BaseException as exc:  # reported to whoever asks for a kernel
            self._errors.append(exc)
            self._idle.put(None)

    @contextmanager
    def kernel(self) -> Iterator[_Manager]:
        """A warm kernel with an empty namespace. It goes back to the pool reset afterwards; a
        kernel that failed, died or cannot be reset is replaced by a new one."""
        self.start()
        manager = self._idle.get()
        if manager is None:
            self._idle.put(None)  # every other page waiting for a kernel fails too, never hangs
            raise KernelError(f"a Python kernel could not be started: {self._errors[-1]}")
        healthy = False
        try:
            yield manager
            manager.close_clients()
            if run_sync(manager.is_alive)():
                run_sync(_execute)(manager, RESET, 60)
                healthy = True
        finally:
            if healthy:
                self._idle.put(manager)
            else:
                self._retire(manager)
                with self._lock:
                    self._spawn()

    def _retire(self, manager: _Manager) -> None:
        with self._lock:
            if manager in self._live:
                self._live.remove(manager)
        try:
            manager.close_clients()
            run_sync(manager.shutdown_kernel)(now=True)
        except Exception:  # it may be gone already
            log.debug("a kernel was already gone")

    def shutdown(self) -> None:
        """Stop every kernel (waiting for those still starting)."""
        for thread in list(self._threads):
            thread.join(timeout=180)
        with self._lock:
            managers, self._live = self._live, []
        for manager in managers:
            self._retire(manager)

    def __enter__(self) -> KernelPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
