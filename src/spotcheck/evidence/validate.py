"""The whole of an uploaded file read by a parser made for its type, before it is kept.

The first bytes (``spotcheck.domain.evidence.check_content_type``) only say what a file claims
to be: a PNG signature followed by an HTML page passes that check, and a browser or a tool that
sniffs the rest may treat it as a page.  So every accepted file is also read whole, here, by a
library made for its type, and must be exactly one file of that type with nothing after it:

* PNG: the chunk sequence walked from the signature to ``IEND`` (which must end the file),
  Pillow's ``verify`` (every chunk's CRC), then the image decoded (``load``).
* JPEG: the marker sequence walked from ``SOI`` through the entropy-coded scans to ``EOI``
  (which must end the file), then the image decoded by Pillow (at 1/8 scale with ``draft``,
  which still reads every scan, so a large photo does not take its full size in memory).
  A truncated scan is refused (Pillow's ``LOAD_TRUNCATED_IMAGES`` is left off).  Multi-picture
  JPEGs (MPO, a second image after the first ``EOI``) are refused as trailing data.
* WebP: the RIFF size must be the file's size; decoded by Pillow (libwebp).
* PDF: parsed by pypdf in strict mode: the cross-reference table and trailer, every object it
  lists, at least one page and each page's content streams decoded; after the last ``%%EOF``
  only white space.  An encrypted PDF is read with the empty user password (permission-only
  protection, common on signed test reports) and refused when that does not open it.
* MP4: the ISO-BMFF box sequence read by mutagen (``mutagen.mp4``): ``ftyp`` first, every box
  inside the file and every container's children exactly filling it, the boxes covering the
  file to its last byte, a ``moov`` holding an ``mvhd``.

Images larger than ``MAX_PIXELS`` (decompression bombs) are refused before decoding.  The
parsers run in worker threads (``validate`` is async, off the event loop), at most
``PARALLEL`` at a time so that a burst of uploads cannot take the server's memory.

A refusal is ``UNSUPPORTED_CONTENT_TYPE`` on field ``file`` with a message naming the rule.
"""

from __future__ import annotations

import io
import logging
import mmap
import struct
from collections.abc import Callable
from pathlib import Path

import anyio
import anyio.to_thread

from spotcheck.domain.errors import DomainError, ErrorCode

MAX_PIXELS = {"image/jpeg": 150_000_000, "image/png": 40_000_000, "image/webp": 40_000_000}
"""The largest image (width × height) read, by type: a JPEG is decoded at 1/8 scale."""
PARALLEL = 2
"""Files parsed at once (each may hold a decoded image in memory)."""

_limiter: anyio.CapacityLimiter | None = None


class Invalid(Exception):
    """The file is not one whole, valid file of its type; the message says why."""


def _limit() -> anyio.CapacityLimiter:
    global _limiter
    if _limiter is None:
        _limiter = anyio.CapacityLimiter(PARALLEL)
    return _limiter


async def validate(path: Path, content_type: str) -> None:
    """Read the file at ``path`` whole as ``content_type`` (one of the allowed types); raises
    ``DomainError`` (UNSUPPORTED_CONTENT_TYPE, field ``file``) when it is not valid."""
    check = _CHECKS[content_type]
    try:
        await anyio.to_thread.run_sync(check, path, limiter=_limit())
    except Invalid as exc:
        raise DomainError.one(
            ErrorCode.UNSUPPORTED_CONTENT_TYPE,
            "file",
            f"the file is declared {content_type} but is not one whole, valid "
            f"{_NAMES[content_type]} file ({exc}); an evidence file must be exactly one file "
            "of its declared type, read whole by a parser for that type, with nothing after it",
        ) from None


def validate_sync(path: Path, content_type: str) -> None:
    """``validate`` in the calling thread; raises ``Invalid``."""
    _CHECKS[content_type](path)


# Images -----------------------------------------------------------------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_end(data: bytes | mmap.mmap) -> int:
    """The offset just past the ``IEND`` chunk."""
    pos, size = len(_PNG_SIGNATURE), len(data)
    while True:
        if pos + 12 > size:
            raise Invalid("it ends before its IEND chunk")
        length: int = int.from_bytes(data[pos : pos + 4], "big")
        kind = bytes(data[pos + 4 : pos + 8])
        if length > 0x7FFFFFFF:
            raise Invalid("a chunk length is out of range")
        pos += 12 + length
        if pos > size:
            raise Invalid(f"its {kind!r} chunk runs past the end of the file")
        if kind == b"IEND":
            return pos


_RST = range(0xD0, 0xD8)


def _jpeg_end(data: bytes | mmap.mmap) -> int:
    """The offset just past the ``EOI`` marker ending the first image."""
    size = len(data)
    if data[:2] != b"\xff\xd8":
        raise Invalid("it does not start with SOI")
    pos = 2
    while True:
        if pos + 2 > size:
            raise Invalid("it ends before its EOI marker")
        if data[pos] != 0xFF:
            raise Invalid(f"a marker was expected at byte {pos}")
        while pos + 1 < size and data[pos + 1] == 0xFF:  # fill bytes
            pos += 1
        if pos + 2 > size:
            raise Invalid("it ends before its EOI marker")
        marker = data[pos + 1]
        if marker == 0xD9:
            return pos + 2
        if marker in _RST or marker == 0x01:
            pos += 2
            continue
        pos = _after_segment(data, pos)
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next real marker
            pos = _after_scan(data, pos)


def _after_segment(data: bytes | mmap.mmap, pos: int) -> int:
    """The offset past the marker segment at ``pos`` (its two-byte length counts itself)."""
    size = len(data)
    if pos + 4 > size:
        raise Invalid("it ends inside a marker segment")
    (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
    if length < 2:
        raise Invalid("a marker segment has a length below 2")
    pos += 2 + length
    if pos > size:
        raise Invalid("a marker segment runs past the end of the file")
    return pos


def _after_scan(data: bytes | mmap.mmap, pos: int) -> int:
    """The offset of the first real marker after entropy-coded data (skipping stuffed zero
    bytes, restart markers and fill bytes)."""
    size = len(data)
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= size:
            raise Invalid("it is truncated inside a scan (no EOI marker)")
        following = data[pos + 1]
        if following == 0 or following in _RST or following == 0xFF:
            pos += 1 if following == 0xFF else 2
            continue
        return pos


def _mapped(path: Path, use: Callable[[mmap.mmap], int]) -> tuple[int, int]:
    """``use`` applied to the file mapped in memory, and the file's size."""
    with path.open("rb") as f:
        size = f.seek(0, io.SEEK_END)
        if size == 0:
            raise Invalid("it is empty")
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            return use(m), size


def _decode(path: Path, content_type: str, *, verify: bool = False) -> None:
    from PIL import Image, UnidentifiedImageError

    formats = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}
    expected = formats[content_type]
    try:
        if verify:
            with Image.open(path, formats=[expected]) as im:
                im.verify()
        with Image.open(path, formats=[expected]) as im:
            width, height = im.size
            if width < 1 or height < 1:
                raise Invalid("it has no pixels")
            limit = MAX_PIXELS[content_type]
            if width * height > limit:
                raise Invalid(
                    f"{width}×{height} pixels is more than the {limit:,} an image may have"
                )
            if expected == "JPEG":
                im.draft("RGB", (max(1, width // 8), max(1, height // 8)))
            im.load()
    except Invalid:
        raise
    except Image.DecompressionBombError as exc:
        raise Invalid(f"too many pixels: {exc}") from None
    except UnidentifiedImageError:
        raise Invalid(f"Pillow does not read it as {expected}") from None
    except (OSError, SyntaxError, ValueError, struct.error, EOFError) as exc:
        raise Invalid(f"Pillow cannot decode it: {exc}") from None


def check_png(path: Path) -> None:
    end, size = _mapped(path, _png_end)
    if end != size:
        raise Invalid(f"{size - end} bytes follow its IEND chunk")
    _decode(path, "image/png", verify=True)


def check_jpeg(path: Path) -> None:
    end, size = _mapped(path, _jpeg_end)
    if end != size:
        raise Invalid(f"{size - end} bytes follow its EOI marker")
    _decode(path, "image/jpeg")


def check_webp(path: Path) -> None:
    with path.open("rb") as f:
        head = f.read(12)
        size = f.seek(0, io.SEEK_END)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WEBP":
        raise Invalid("it has no RIFF WEBP header")
    (riff,) = struct.unpack("<I", head[4:8])
    if riff + 8 != size:
        raise Invalid(f"its RIFF header says {riff + 8} bytes but the file has {size}")
    _decode(path, "image/webp")


# PDF --------------------------------------------------------------------------------------


def check_pdf(path: Path) -> None:
    import pypdf
    from pypdf.errors import PyPdfError
    from pypdf.generic import IndirectObject

    def tail(m: mmap.mmap) -> int:
        return m.rfind(b"%%EOF")

    last, _ = _mapped(path, tail)
    if last < 0:
        raise Invalid("it has no %%EOF marker (truncated?)")
    with path.open("rb") as f:
        f.seek(last + 5)
        rest = f.read()
    if rest.strip(b" \t\r\n\x00\x0c"):
        raise Invalid(f"{len(rest)} bytes that are not white space follow its last %%EOF")
    quiet = logging.getLogger("pypdf")
    previous = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        with path.open("rb") as f:
            reader = pypdf.PdfReader(f, strict=True)
            if reader.is_encrypted and not reader.decrypt(""):
                raise Invalid("it is encrypted with a password")
            for generation, numbers in reader.xref.items():
                for number in numbers:
                    if reader.get_object(IndirectObject(number, generation, reader)) is None:
                        raise Invalid(f"object {number} {generation} cannot be read")
            if len(reader.pages) < 1:
                raise Invalid("it has no page")
            for page in reader.pages:
                page.get_contents()
    except Invalid:
        raise
    except (PyPdfError, OSError, ValueError, KeyError, TypeError, struct.error) as exc:
        raise Invalid(f"pypdf cannot read it: {exc}") from None
    except Exception as exc:  # pypdf raises many kinds on malformed input
        raise Invalid(f"pypdf cannot read it: {type(exc).__name__}: {exc}") from None
    finally:
        quiet.setLevel(previous)


# MP4 --------------------------------------------------------------------------------------


def check_mp4(path: Path) -> None:
    from mutagen.mp4._atom import Atom, AtomError, Atoms

    with path.open("rb") as f:
        size = f.seek(0, io.SEEK_END)
        try:
            atoms = Atoms(f)
        except AtomError as exc:
            raise Invalid(f"its boxes cannot be read: {exc}") from None

    def check_within(box: Atom, start: int, end: int) -> None:
        if box.offset != start or box.offset + box.length > end:
            raise Invalid(f"box {box.name!r} at byte {box.offset} does not fit where it is")
        if box.children is not None:
            pos = box._dataoffset + (4 if box.name == b"meta" else 0)
            for child in box.children:
                check_within(child, pos, box.offset + box.length)
                pos = child.offset + child.length
            if pos != box.offset + box.length:
                raise Invalid(f"the children of box {box.name!r} do not fill it")

    if not atoms.atoms or atoms.atoms[0].name != b"ftyp":
        raise Invalid("its first box is not ftyp")
    if atoms.atoms[0].datalength < 8:
        raise Invalid("its ftyp box is too short for a brand")
    pos = 0
    for box in atoms.atoms:
        check_within(box, pos, size)
        pos = box.offset + box.length
    if pos != size:
        raise Invalid(f"{size - pos} bytes after its last box are not a box")
    try:
        atoms[b"moov.mvhd"]
    except KeyError:
        raise Invalid("it has no moov box with an mvhd (the movie header)") from None


_CHECKS: dict[str, Callable[[Path], None]] = {
    "application/pdf": check_pdf,
    "image/jpeg": check_jpeg,
    "image/png": check_png,
    "image/webp": check_webp,
    "video/mp4": check_mp4,
}
_NAMES = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WebP",
    "video/mp4": "MP4",
}
