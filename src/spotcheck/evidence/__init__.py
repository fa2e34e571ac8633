"""证据材料 Evidence file storage: content-addressed by SHA-256 behind a small interface."""

from spotcheck.evidence.storage import (
    EvidenceStorage,
    FilesystemEvidenceStorage,
    StoredFile,
    TooLarge,
)

__all__ = ["EvidenceStorage", "FilesystemEvidenceStorage", "StoredFile", "TooLarge"]
