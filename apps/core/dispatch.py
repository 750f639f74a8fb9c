"""Hand a Celery task to whatever runs tasks here, by name.

Services call `task_send("apps.x.tasks.y", pk)` (after commit) and never import a tasks module,
so domain code depends on no delivery code. With a broker the task goes to a worker. Without
one (the embedded default, `task_always_eager`) it runs in this process: in a background
thread when TASKS_IN_THREAD is on (so no request waits on the network; the run records the
outcome), or inline when it is off (tests that want the outcome before they look).
"""

import logging
import threading
from collections.abc import Sequence

from celery import Task
from django.conf import settings
from django.db import connections

from sellm.celery import app as celery_app

logger = logging.getLogger(__name__)


def task_send(name: str, args: Sequence[object] = ()) -> None:
    """Send task `name` with JSON-able `args`; see the module docstring for where it runs.

    Raises kombu's OperationalError (or OSError) when the broker cannot be reached.
    """
    app = celery_app
    if not app.conf.task_always_eager:
        app.send_task(name, args=list(args))
        return
    if name not in app.tasks:
        app.loader.import_default_modules()  # import every app's tasks, as a worker does
    task = app.tasks[name]
    if settings.TASKS_IN_THREAD:
        thread = threading.Thread(
            target=_apply_in_thread, args=(task, tuple(args)), name=f"task {name}", daemon=True
        )
        thread.start()
        return
    task.apply(args=tuple(args), throw=True)


def _apply_in_thread(task: Task, args: tuple[object, ...]) -> None:
    try:
        task.apply(args=args, throw=True)
    except Exception:
        logger.exception("in-process task %s%r failed", task.name, args)
    finally:
        connections.close_all()  # this thread's own connections
