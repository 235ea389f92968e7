"""The schema store: official schemas, shapes and contexts, pinned by a manifest.

Official files are never part of the package. ``edcbridge schemas install`` copies them from
a folder (``--from``) or downloads them from their pinned URLs, checking every sha256; each
download has a deadline and a size limit, and the download stops when a server keeps failing.
:meth:`SchemaStore.path` hands out only pinned files that are intact, an XML schema only when
every pinned schema it may import is intact too.
"""

from edcbridge.schemas.store import (
    InstallResult,
    InstallStopped,
    ManifestEntry,
    SchemaStore,
    SchemaStoreError,
    default_store,
    find_reference_dir,
    install_remedy,
    manifest,
)

__all__ = [
    "InstallResult",
    "InstallStopped",
    "ManifestEntry",
    "SchemaStore",
    "SchemaStoreError",
    "default_store",
    "find_reference_dir",
    "install_remedy",
    "manifest",
]
