"""The schema store: official schemas, shapes and contexts, pinned by a manifest.

Official files are never part of the package. ``edcbridge schemas install`` copies them from
a folder (``--from``) or downloads them from their pinned URLs, checking every sha256.
"""

from edcbridge.schemas.store import (
    ManifestEntry,
    SchemaStore,
    SchemaStoreError,
    default_store,
    find_reference_dir,
    manifest,
)

__all__ = [
    "ManifestEntry",
    "SchemaStore",
    "SchemaStoreError",
    "default_store",
    "find_reference_dir",
    "manifest",
]
