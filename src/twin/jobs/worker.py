"""Running a worker: in the foreground (``twin worker``) or in a thread (``twin serve --with-worker``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterable

from procrastinate import App
from procrastinate.app import WorkerOptions

from twin.jobs.app import create_job_app

log = logging.getLogger(__name__)

WORKER_NAME = "twin-worker"
# Pool connections a worker needs besides one per concurrent job (fetching,
# heartbeat, abort polling, periodic deferrer).
WORKER_BASE_CONNECTIONS = 4


def _app_for_worker(database_url: str, concurrency: int) -> App:
    return create_job_app(database_url, max_connections=concurrency + WORKER_BASE_CONNECTIONS)


def _options(
    *, concurrency: int, queues: Iterable[str] | None, wait: bool, install_signal_handlers: bool
) -> WorkerOptions:
    """procrastinate worker options (no ``queues`` key means every queue)."""
    options: WorkerOptions = {
        "name": WORKER_NAME,
        "concurrency": concurrency,
        "wait": wait,
        "install_signal_handlers": install_signal_handlers,
    }
    if queues:
        options["queues"] = list(queues)
    return options


async def _work(app: App, options: WorkerOptions) -> None:
    """Open the App's pool, run its worker until it stops, close the pool."""
    async with app.open_async():
        await app.run_worker_async(**options)


def run_worker(
    database_url: str,
    *,
    concurrency: int = 1,
    queues: list[str] | None = None,
    wait: bool = True,
    install_signal_handlers: bool = True,
) -> None:
    """Run a worker on this thread until SIGINT/SIGTERM (or, with ``wait=False``, an empty queue)."""
    app = _app_for_worker(database_url, concurrency)
    options = _options(
        concurrency=concurrency,
        queues=queues,
        wait=wait,
        install_signal_handlers=install_signal_handlers,
    )
    asyncio.run(_work(app, options))


class BackgroundWorker:
    """A worker running on its own thread and event loop; ``stop()`` ends it gracefully."""

    def __init__(
        self, database_url: str, *, concurrency: int = 1, queues: list[str] | None = None
    ) -> None:
        self.database_url = database_url
        self.concurrency = concurrency
        self.queues = queues
        self.error: BaseException | None = None
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[object] | None = None
        self._thread = threading.Thread(target=self._run, name=WORKER_NAME, daemon=True)

    @property
    def running(self) -> bool:
        """True while the worker thread is alive."""
        return self._thread.is_alive()

    def start(self) -> None:
        """Start the thread; return once the worker's pool is open (raise if it cannot open)."""
        self._thread.start()
        self._ready.wait()
        if self.error is not None:
            self._thread.join()
            raise self.error

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except asyncio.CancelledError:
            pass  # stop() cancels the worker: that is the normal end
        except BaseException as exc:
            self.error = exc
            log.exception("background job worker failed")
        finally:
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        app = _app_for_worker(self.database_url, self.concurrency)
        options = _options(
            concurrency=self.concurrency,
            queues=self.queues,
            wait=True,
            install_signal_handlers=False,
        )
        async with app.open_async():
            self._ready.set()
            # Cancelling run_worker_async makes procrastinate stop fetching, wait for
            # the jobs in hand, unregister the worker, and only then re-raise.
            await app.run_worker_async(**options)

    def stop(self, timeout: float | None = None) -> None:
        """Stop fetching jobs, wait for the current ones to finish, then join the thread."""
        loop, task = self._loop, self._task
        if loop is not None and task is not None and self._thread.is_alive():
            # RuntimeError: the loop closed in between, so the worker has already ended.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(task.cancel)
        if self._thread.ident is not None:
            self._thread.join(timeout)


def start_worker_in_background(
    database_url: str, *, concurrency: int = 1, queues: list[str] | None = None
) -> BackgroundWorker:
    """Start a worker on a thread of this process; call ``.stop()`` to end it cleanly."""
    worker = BackgroundWorker(database_url, concurrency=concurrency, queues=queues)
    worker.start()
    return worker
