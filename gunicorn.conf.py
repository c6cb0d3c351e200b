"""gunicorn settings, read from the working directory (the Docker image's /app) by default."""

import threading


def post_worker_init(worker) -> None:
    """Build the core citation styles' engines in the background as each worker starts."""
    from catalogue.citations.engine import warm

    # In a thread: the worker answers requests meanwhile (one that needs the engine waits
    # for the engine lock, no longer than building its style itself would take).
    threading.Thread(target=warm, name="citation-warm", daemon=True).start()
