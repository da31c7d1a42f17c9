"""Counter samples: the embedded store (``samples``) and the history importer (``importer``)."""

from __future__ import annotations

from bwauto.store.samples import (
    DEFAULT_FILENAME,
    Sample,
    SampleArrays,
    SampleStore,
    store_path,
)

__all__ = ["DEFAULT_FILENAME", "Sample", "SampleArrays", "SampleStore", "store_path"]
