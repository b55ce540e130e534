"""Warm kernels for papermill: started ahead of need, reused with a clean namespace, killed at the end.

Starting a Python kernel costs about 0.6 s and importing the toolkit in it another 0.3 s; the work
of a handout notebook is about 0.1 s. So each build worker keeps one kernel: the first is started
while the worker imports its exporters, and between jobs the kernel's namespace is reset
(``InteractiveShell.reset(new_session=True)``: user variables, history and the execution counter go,
imported modules stay). A job that fails gets its kernel killed and a fresh one started, so a broken
notebook cannot leave state behind. Kernels are killed, not shut down politely: their state is
thrown away anyway, and a graceful shutdown can stall for seconds.

Papermill stays the runner: :class:`WarmEngine` is a papermill engine (registered as
``lianzheng``) that hands nbclient the warm kernel instead of letting it start one.

A build's pool worker starts its kernel as a fork of itself (:class:`ForkProvisioner`) rather than a
new interpreter: the worker was forked from the builder with the toolkit, the build's library and
ipykernel already imported and loaded, so its kernel is ready in about 0.15 s of CPU instead of 0.7 s
(a new interpreter importing IPython, the toolkit, and reading the library again). The kernel is the
same IPython kernel (``ipykernel``'s own application, on its own connection file and sockets), and the
notebooks run on it as on any other; only the command line a process list shows differs (its name is
``ipykernel``). A process that has run Typst starts its kernels as new interpreters (Typst's threads
are not copied by a fork, and a kernel that then laid out a PDF would hang).
"""

from __future__ import annotations

import asyncio
import ctypes
import functools
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, NoReturn

from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.manager import KernelManager
from jupyter_client.provisioning import LocalProvisioner
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.utils import merge_kwargs, remove_args

ENGINE = "lianzheng"
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_PR_SET_NAME = 15
KERNEL_NAME = b"ipykernel"  # a forked kernel's process name (``ps -o comm``, /proc/<pid>/comm)


def die_with_parent() -> bool:
    """Have the kernel send this process SIGKILL when the thread that started it ends (Linux's
    ``PR_SET_PDEATHSIG``), as when its parent is killed; False where that cannot be asked.

    Called in a build's pool worker as it starts and in each kernel between fork and exec, so that a
    builder killed with SIGKILL takes its workers with it and each worker its kernel. Safe between
    fork and exec: one system call through a function looked up before the fork, no lock taken.
    """
    prctl = _prctl()
    return prctl is not None and prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0


@functools.cache
def _prctl() -> Any:
    """libc's ``prctl`` (already loaded in this process: no library search), or None off Linux."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def _launch_options() -> dict[str, Callable[[], None]]:
    """What the kernel's ``Popen`` is given so that the kernel dies with this process.

    The signal is tied to the thread that forks, not the process: so only a kernel started on the main
    thread (as every build and report starts them) asks for it; one started on a passing thread would
    be killed when that thread ends.
    """
    if not sys.platform.startswith("linux") or threading.current_thread() is not threading.main_thread():
        return {}
    parent = os.getpid()
    _prctl()  # looked up here, not in the child

    def in_child() -> None:
        die_with_parent()
        if os.getppid() != parent:  # the parent died before the request was made
            os._exit(1)

    return {"preexec_fn": in_child}


# What IPython's reset(new_session=True) does for a notebook run, without its full garbage collection
# (about 50 ms a job, with the toolkit and the library loaded): forget every name the last notebook
# defined, its inputs and outputs, and restart the execution count, so that the next notebook runs
# as in a new kernel and its executed notebook is numbered from 1. Imported modules stay.
_RESET = """\
def _lianzheng_reset(ip):
    for name in [name for name in ip.user_ns if name not in ip.user_ns_hidden]:
        del ip.user_ns[name]
    history = ip.history_manager
    history.output_hist.clear()
    history.input_hist_parsed[:] = [""]
    history.input_hist_raw[:] = [""]
    for name in ("_", "__", "___"):
        ip.user_ns[name] = ""
    ip.displayhook._, ip.displayhook.__, ip.displayhook.___ = "", "", ""
    ip.execution_count = 1
_lianzheng_reset(get_ipython())  # which removes its own name too
"""


def forkable() -> bool:
    """Whether this process may fork a build worker or a kernel: not once it has run Typst (a forked
    process would hang at its first PDF: the compiler's threads are not copied by ``fork``, but the
    state that waits for them is)."""
    pdf = sys.modules.get("toolkit.render.pdf")
    return pdf is None or not pdf.typst_started()


class _ForkedProcess:
    """What jupyter_client's local provisioner asks of a ``Popen``, for a kernel forked from this process."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere
                self.returncode = -signal.SIGKILL
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0.0)
            time.sleep(0.01)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def _ipykernel_argv(cmd: list[str]) -> list[str] | None:
    """The arguments of ``python -m ipykernel_launcher ...`` when ``cmd`` is that, run by this very
    interpreter (a kernel that can be a fork of this process); None for any other kernel command."""
    if len(cmd) < 3 or cmd[1:3] != ["-m", "ipykernel_launcher"]:
        return None
    if os.path.realpath(cmd[0]) != os.path.realpath(sys.executable):
        return None
    return cmd[3:]


def _kernel_child(argv: list[str], env: dict[str, str] | None, cwd: str | None, parent: int) -> NoReturn:
    """The forked kernel: a session of its own (Ctrl-C at the terminal is the builder's, as for a kernel
    started by jupyter_client), dead with its parent, no terminal, then ipykernel's application. It
    never returns into the builder's code, whatever happens."""
    code = 1
    try:
        os.setsid()
        die_with_parent()
        if os.getppid() != parent:  # the parent died before the request was made
            os._exit(1)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        prctl = _prctl()
        if prctl is not None:
            prctl(_PR_SET_NAME, ctypes.c_char_p(KERNEL_NAME), 0, 0, 0)
        # Forked from inside jupyter_client's event loop: this process runs none.
        asyncio.events._set_running_loop(None)
        asyncio.set_event_loop(None)
        if env is not None:
            os.environ.clear()
            os.environ.update(env)
        if cwd is not None:
            os.chdir(cwd)
        from ipykernel.kernelapp import IPKernelApp

        IPKernelApp.launch_instance(argv=argv)
        code = 0
    finally:
        os._exit(code)


class ForkProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, with the kernel a fork of this process (see the module's
    docstring) when its command is this interpreter's ``ipykernel_launcher``; any other command is
    launched as a new process, as the local provisioner does."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        argv = _ipykernel_argv(cmd)
        if argv is None:
            return await super().launch_kernel(cmd, **kwargs)
        parent = os.getpid()
        _prctl()  # looked up here, not in the child
        pid = os.fork()
        if pid == 0:
            _kernel_child(argv, kwargs.get("env"), kwargs.get("cwd"), parent)
        self.process = _ForkedProcess(pid)  # type: ignore[assignment]  # what the provisioner uses of a Popen
        self.pid = self.pgid = pid  # the child's own session and process group
        self.cwd = kwargs.get("cwd", pathlib.Path.cwd())
        return self.connection_info


class WarmKernel:
    """A started kernel with its client; ``used`` counts the jobs it has run. ``fork``: start it as a
    fork of this process (:class:`ForkProvisioner`) when this process may fork (:func:`forkable`)."""

    def __init__(self, kernel_name: str = "python3", fork: bool = False) -> None:
        self.km = KernelManager(kernel_name=kernel_name)
        if fork and forkable() and threading.current_thread() is threading.main_thread():
            self.km.kernel_id = str(uuid.uuid4())
            self.km.provisioner = ForkProvisioner(
                kernel_id=self.km.kernel_id, kernel_spec=self.km.kernel_spec, parent=self.km
            )
        # The kernel's own log lines (e.g. ipykernel's transport notice) are not the build's output.
        # No history database: a build's cells are not the user's IPython history, and numbering each
        # notebook from 1 would clash with the lines already recorded for the kernel's session.
        self.km.start_kernel(
            extra_arguments=["--HistoryManager.enabled=False"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            **_launch_options(),
        )
        self.kc = self.km.client()
        # No heartbeat channel: the client asks its manager whether the kernel lives. The heartbeat's
        # thread opens its socket only once running, so a kernel killed right after it was started
        # (a failed job's successor at the end of a run) could see that thread open a socket on the
        # manager's context after the context was destroyed ("Too many open files").
        self.kc.start_channels(hb=False)
        self.used = 0
        self._ready = False

    def ready(self, timeout: float = 60) -> WarmKernel:
        if not self._ready:
            self.kc.wait_for_ready(timeout=timeout)
            self._ready = True
        return self

    def reset(self) -> None:
        """Clear the user namespace and restart the execution count; imported modules stay."""
        reply = self.kc.execute_interactive(_RESET, silent=True, store_history=False, timeout=30)
        if reply["content"]["status"] != "ok":  # pragma: no cover - a kernel that cannot reset is replaced
            raise RuntimeError("the kernel could not reset its namespace")

    def kill(self) -> None:
        try:
            self.kc.stop_channels()
        finally:
            if self.km.has_kernel:
                self.km.shutdown_kernel(now=True)


class KernelPool:
    """One warm kernel per worker, and the next one started as soon as the current one is discarded.
    ``fork``: its kernels are forks of this process where it may fork (a build's pool worker)."""

    def __init__(self, kernel_name: str = "python3", fork: bool = False) -> None:
        self.kernel_name = kernel_name
        self.fork = fork
        self._kernel: WarmKernel | None = WarmKernel(kernel_name, fork)

    def take(self) -> WarmKernel:
        if self._kernel is None:
            self._kernel = WarmKernel(self.kernel_name, self.fork)
        kernel = self._kernel.ready()
        if kernel.used:
            kernel.reset()
        kernel.used += 1
        return kernel

    def discard(self) -> None:
        """Kill the current kernel (after a failure) and start its successor straight away."""
        if self._kernel is not None:
            self._kernel.kill()
        self._kernel = WarmKernel(self.kernel_name, self.fork)

    def close(self) -> None:
        if self._kernel is not None:
            self._kernel.kill()
            self._kernel = None


_pool: KernelPool | None = None


def pool(kernel_name: str = "python3", fork: bool = False) -> KernelPool:
    """This process's kernel pool, created (and its first kernel started) on first use."""
    global _pool
    if _pool is None:
        _pool = KernelPool(kernel_name, fork)
    return _pool


def close_pool() -> None:
    global _pool
    if _pool is not None:
        _pool.close()
        _pool = None


class WarmEngine(NBClientEngine):
    """A papermill engine that runs the notebook on this process's warm kernel."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: int = 60,
        execution_timeout: int | None = None,
        **kwargs: Any,
    ) -> Any:
        kernel = pool(kernel_name).take()
        kwargs = remove_args(["input_path"], **kwargs)
        safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
        final_kwargs = merge_kwargs(
            safe_kwargs,
            timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        client = PapermillNotebookClient(nb_man, km=kernel.km, **final_kwargs)
        client.kc = kernel.kc
        return client.execute()


def register() -> None:
    """Make the engine known to papermill as ``lianzheng`` (idempotent)."""
    papermill_engines.register(ENGINE, WarmEngine)
