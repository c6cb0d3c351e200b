"""The formatted-citation cache shared by a server's worker processes: files in a directory.

Each gunicorn worker formats citations in its own V8 runtime; with a cache in each worker's
memory, a record page is formatted again (six styles, about 45 ms of CPU) by every worker
that shows it, and everything is lost when a worker restarts. Files in one directory are
shared by every worker on the machine and kept across restarts, and `manage.py
warm_citations` can fill them ahead of time. The keys are content addressed (the style's
fingerprint, the article, its `updated` time and a digest of its CSL-JSON: see
rendering._cache_key), so an entry never goes stale and several catalogues may share the
directory.
"""

import logging
import random

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache

logger = logging.getLogger(__name__)

# A write checks the entry bound on one write in CULL_EVERY (per process, at random).
CULL_EVERY = 500


class CitationFileCache(FileBasedCache):
    """Django's file-based cache, checking its size now and then instead of on every write.

    FileBasedCache lists the whole directory on every write to count its entries: with the
    six citations of 20,000 articles, 120,000 names a write. Checked on one write in
    CULL_EVERY, the directory still stays within a few thousand entries of MAX_ENTRIES;
    culling is as Django's (a third of the entries, at random, once over the bound).
    """

    # A directory that cannot be read or written (full disk, made by another user) is a cache
    # that misses, never an error page: the citation is formatted again.

    def _createdir(self) -> None:
        try:
            super()._createdir()
        except OSError as error:
            logger.warning("Citation cache %s cannot be made: %s", self._dir, error)

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except OSError as error:
            logger.warning("Citation cache %s unreadable: %s", self._dir, error)
            return default

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> None:
        try:
            super().set(key, value, timeout, version)
        except OSError as error:
            logger.warning("Citation cache %s unwritable: %s", self._dir, error)

    def _cull(self) -> None:
        if random.random() * CULL_EVERY < 1:
            super()._cull()
