"""gunicorn settings, read from the working directory (the Docker image's /app) by default.

gunicorn runs behind nginx (deploy/nginx.conf.template), which buffers whole requests and
responses: a sync worker is busy only while Django works, never while a client is slow to
send or to read. Do not expose these workers to clients directly (issue 16: three
slow-header connections held all three workers). docs/deployment.md explains each value.
Command-line flags and GUNICORN_CMD_ARGS override what is set here.
"""

import os
import threading


def _cores() -> int:
    """Return the number of CPUs this process may run on (a container's share, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# Sync workers: one request at a time per process. Requests are CPU-bound (citation
# formatting in V8, templates) or wait on a blocking PostgreSQL driver, so threads would
# share one GIL and async workers would need green drivers for both. Behind the buffering
# proxy, the client waits that 2 x cores + 1 is meant to cover do not reach the workers:
# one per core plus one, as each keeps its own citation engines (up to
# CITATION_ENGINES_HEAP_MB of V8 heap). WEB_CONCURRENCY sets the number.
worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY") or _cores() + 1)

# A request still running after 30 s is killed (and its traceback logged): pages take
# milliseconds, and imports run in the job worker, not in a request. nginx waits 60 s
# (proxy_read_timeout), so this timeout fires first.
timeout = 30
# On a restart (HUP, a deploy), workers get this long to finish what they are serving.
graceful_timeout = 30
# Sync workers close each connection after its response (nginx keeps no pool to gunicorn);
# this applies only if a threaded worker class is chosen on the command line.
keepalive = 5

# Only nginx (or whatever FORWARDED_ALLOW_IPS names) may say a request came over HTTPS, and
# only with the one header nginx sets.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}

# The workers' heartbeat files: in memory where there is /dev/shm (Docker's overlay
# filesystem can stall the writes long enough for the arbiter to kill a healthy worker).
_SHARED_MEMORY = "/dev/shm"  # noqa: S108 (gunicorn's own files, made private by gunicorn)
if os.path.isdir(_SHARED_MEMORY):
    worker_tmp_dir = _SHARED_MEMORY


def post_worker_init(worker) -> None:
    """Build the core citation styles' engines in the background as each worker starts."""
    from catalogue.citations.engine import warm

    # In a thread: the worker answers requests meanwhile (one that needs the engine waits
    # for the engine lock, no longer than building its style itself would take).
    threading.Thread(target=warm, name="citation-warm", daemon=True).start()
