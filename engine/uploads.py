"""Checking an uploaded file and keeping it with a draft, without the location a photo carries.

The functions take bytes and names, not requests, so the web layer and the tests call the same
code. An upload passes one fixed sequence, and the first failure wins: how many files the question
already has, an empty file, the size, then the type as the content shows it (never only the name:
a PNG called "scan.pdf" is judged as a PNG). What is stored is the file with its location removed:

    accept_upload(draft_id, question, "C:\\Users\\sam\\IMG_0001.JPG", jpeg_with_gps)
    -> file id; the stored name is "IMG_0001.JPG" and the stored JPEG has no GPS data.

Photos lose their metadata by editing the file's own containers (JPEG segments, PNG chunks, WebP
chunks, the Exif and XMP items of a HEIC, overwritten in place), so the pictures are never
re-compressed. Only the orientation is kept, so a phone photo still shows the right way up. Other
files are stored as they came.
"""

from __future__ import annotations

import asyncio
import io
import struct
import unicodedata
import warnings
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType

from PIL import Image, UnidentifiedImageError

from engine import storage
from engine.definition import Question, Text
from engine.questions import ACCEPT_CONTENT_TYPES, Invalid, sniff_content_type

#: The largest upload when the question sets no max_size (docs/design.md shows `max_size: 10MB`).
DEFAULT_MAX_SIZE = 10 * 1024 * 1024
#: How many files a question takes when it sets no max_files (as `questions.File.check` counts).
DEFAULT_MAX_FILES = 1
#: Longest file name kept for display; longer names keep their end (the extension) and lose the middle.
MAX_FILENAME_LENGTH = 100
#: How much of a file `sniff_content_type` reads.
SNIFF_BYTES = 8192

_EXIF_ORIENTATION = 0x0112
_EXIF_HEADER = b"Exif\x00\x00"

#: Content type -> the Pillow format that must read it; a file claiming one of these types that
#: Pillow cannot open is not the image it claims to be.
_PILLOW_FORMATS: Mapping[str, str] = MappingProxyType(
    {
        "image/jpeg": "JPEG",
        "image/png": "PNG",
        "image/webp": "WEBP",
        "image/gif": "GIF",
        "image/tiff": "TIFF",
        "image/bmp": "BMP",
    }
)


class _Unreadable(Exception):
    """The bytes are not the image their first bytes promise."""


def check_upload(question: Question, filename: str, data: bytes) -> str:
    """The content type of an acceptable upload to `question`; raises Invalid with the first failure.

    The filename is not consulted: only the content decides the type.
    """
    if not data:
        raise Invalid("file_empty")
    max_size = question.max_size if question.max_size is not None else DEFAULT_MAX_SIZE
    if len(data) > max_size:
        raise Invalid("file_too_large", max_size=format_size(max_size))
    content_type = sniff_content_type(data[:SNIFF_BYTES])
    if content_type is None or content_type not in accepted_types(question):
        raise Invalid("file_type", accept=accept_wording(question))
    return content_type


def accepted_types(question: Question) -> frozenset[str]:
    """The content types `question` takes: from its `accept` extensions, or every type coform knows.

    The loader keeps extensions with their dot (".pdf") and `questions.accepted_content_types`
    looks them up without it, so both spellings are read here.
    """
    extensions = _extensions(question)
    if not extensions:
        return frozenset(ACCEPT_CONTENT_TYPES.values())
    return frozenset(ACCEPT_CONTENT_TYPES[ext] for ext in extensions if ext in ACCEPT_CONTENT_TYPES)


def accept_wording(question: Question) -> Text:
    """The accepted types as the file_type error names them: ("pdf", "jpg") -> "PDF or JPG"."""
    names = [ext.upper() for ext in _extensions(question)] or ["file coform accepts"]
    if len(names) == 1:
        return Text(names[0])
    head = ", ".join(names[:-1])
    return Text(f"{head} or {names[-1]}", {"cy": f"{head} neu {names[-1]}"})


def format_size(size: int) -> str:
    """A byte count as the error message shows it: 10485760 -> "10MB", 1536 -> "1.5KB"."""
    for unit, scale in (("MB", 1024**2), ("KB", 1024)):
        if size >= scale:
            return f"{round(size / scale, 1):g}{unit}"
    return f"{size} bytes"


def _extensions(question: Question) -> list[str]:
    return list(dict.fromkeys(ext.lower().lstrip(".") for ext in question.accept))


def clean_filename(filename: str) -> str:
    """A file name safe to show and store: r"C:\\Users\\sam\\my\\x00photo.jpg" -> "myphoto.jpg".

    Browsers may send a whole path (old Edge and IE do); control and bidirectional formatting
    characters are dropped because they can disguise an extension ("gpj.exe" shown as "exe.jpg").
    """
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co", "Cn"))
    name = " ".join(name.split()).strip(". ")
    if not name:
        return "file"
    if len(name) <= MAX_FILENAME_LENGTH:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension) > 10:
        return name[:MAX_FILENAME_LENGTH].rstrip()
    return f"{stem[: MAX_FILENAME_LENGTH - len(extension) - 2].rstrip()}….{extension}"


def strip_location(content_type: str, data: bytes) -> bytes:
    """The file with the location metadata of a photo removed (all Exif but the orientation, XMP).

    Files other than photos come back unchanged. Raises Invalid("file_type") when the bytes start
    like an image but are not one that can be read.
    """
    stripper = _STRIPPERS.get(content_type)
    try:
        orientation = _orientation(content_type, data) if content_type in _PILLOW_FORMATS else None
        return data if stripper is None else stripper(data, orientation)
    except _Unreadable:
        raise Invalid("file_type") from None


async def accept_upload(
    draft_id: str,
    question: Question,
    filename: str,
    data: bytes,
    *,
    attached: int = 0,
    upload_dir: Path | None = None,
) -> str:
    """Check an upload to `question`, remove its location data and keep it with the draft.

    `attached` is how many files the question already has in this draft. Returns the stored file's
    id; raises Invalid (too_many_files, file_empty, file_too_large, file_type) when it is refused.
    """
    limit = question.max_files if question.max_files is not None else DEFAULT_MAX_FILES
    if attached >= limit:
        raise Invalid("too_many_files", count=limit)
    # Reading a photo's containers takes a moment on a large file; other respondents should not wait.
    content_type, cleaned = await asyncio.to_thread(_checked_and_stripped, question, filename, data)
    stored = await storage.store_file(
        draft_id, question.id, clean_filename(filename), content_type, cleaned, upload_dir=upload_dir
    )
    return stored.id


def _checked_and_stripped(question: Question, filename: str, data: bytes) -> tuple[str, bytes]:
    content_type = check_upload(question, filename, data)
    try:
        return content_type, strip_location(content_type, data)
    except Invalid as error:
        # The same refusal check_upload gives, with the accepted types named for the message.
        raise Invalid(error.code, accept=accept_wording(question)) from None


def _orientation(content_type: str, data: bytes) -> int | None:
    """The Exif orientation of an image Pillow can read (None when it has none or the default)."""
    try:
        with warnings.catch_warnings():
            # Only the header is read; a large photo is no danger until decoded, which never happens.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[_PILLOW_FORMATS[content_type]]) as image:
                value = image.getexif().get(_EXIF_ORIENTATION)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        raise _Unreadable from None
    return value if isinstance(value, int) and 2 <= value <= 8 else None


def _orientation_exif(orientation: int | None) -> bytes | None:
    """A TIFF-structured Exif block holding only the orientation (without the "Exif" header)."""
    if orientation is None:
        return None
    exif = Image.Exif()
    exif[_EXIF_ORIENTATION] = orientation
    return exif.tobytes().removeprefix(_EXIF_HEADER)


# --- JPEG: segments before the image data --------------------------------------------------------------

_JPEG_APP0 = 0xE0
_JPEG_APP1 = 0xE1  # Exif and XMP
_JPEG_APP2 = 0xE2  # ICC profile (kept) or MPF, the index of extra images after the first (dropped)
_JPEG_APP13 = 0xED  # Photoshop IPTC: may name the place a photo was taken
_JPEG_SOS = 0xDA
_JPEG_EOI = 0xD9
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})


def _strip_jpeg(data: bytes, orientation: int | None) -> bytes:
    """Drop Exif, XMP, IPTC and everything after the image (phones append extra images there)."""
    kept = [b"\xff\xd8"]
    new_exif = _orientation_exif(orientation)
    for marker, segment, rest in _jpeg_segments(data):
        if new_exif is not None and marker != _JPEG_APP0:
            # Exif belongs straight after SOI, or after the JFIF APP0 segment when there is one.
            kept.append(_jpeg_segment(_JPEG_APP1, _EXIF_HEADER + new_exif))
            new_exif = None
        if marker == _JPEG_SOS:
            end = rest.find(b"\xff\xd9")
            kept.append(segment + (rest if end < 0 else rest[: end + 2]))
            break
        dropped = marker in (_JPEG_APP1, _JPEG_APP13) or (marker == _JPEG_APP2 and segment[4:8] == b"MPF\x00")
        if not dropped:
            kept.append(segment)
    return b"".join(kept)


def _jpeg_segments(data: bytes) -> Iterator[tuple[int, bytes, bytes]]:
    """(marker, the whole segment, the bytes after it) for each segment up to the first scan."""
    if not data.startswith(b"\xff\xd8"):
        raise _Unreadable
    position = 2
    while True:
        if data[position : position + 1] != b"\xff":
            raise _Unreadable
        while data[position : position + 1] == b"\xff":  # fill bytes may pad before a marker
            position += 1
        if position >= len(data):
            raise _Unreadable
        marker = data[position]
        position += 1
        if marker in _JPEG_STANDALONE or marker == _JPEG_EOI:
            yield marker, bytes((0xFF, marker)), data[position:]
            if marker == _JPEG_EOI:
                return
            continue
        (length,) = struct.unpack(">H", data[position : position + 2].rjust(2, b"\x00"))
        if length < 2 or position + length > len(data):
            raise _Unreadable
        yield (
            marker,
            b"\xff" + bytes((marker,)) + data[position : position + length],
            data[position + length :],
        )
        position += length


def _jpeg_segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


# --- PNG: chunks ---------------------------------------------------------------------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Exif, and the text chunks that carry XMP or "Raw profile type exif" copies of it.
_PNG_DROPPED = frozenset({b"eXIf", b"tEXt", b"zTXt", b"iTXt"})


def _strip_png(data: bytes, orientation: int | None) -> bytes:
    kept = [_PNG_SIGNATURE]
    new_exif = _orientation_exif(orientation)
    position = len(_PNG_SIGNATURE)
    while position + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        end = position + 12 + length
        if end > len(data):
            raise _Unreadable
        if kind not in _PNG_DROPPED:
            kept.append(data[position:end])
        if kind == b"IHDR" and new_exif is not None:
            kept.append(_png_chunk(b"eXIf", new_exif))
        position = end
        if kind == b"IEND":
            break
    return b"".join(kept)


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


# --- WebP: RIFF chunks ----------------------------------------------------------------------------------

_WEBP_EXIF_FLAG = 0x08
_WEBP_XMP_FLAG = 0x04


def _strip_webp(data: bytes, orientation: int | None) -> bytes:
    chunks = [(kind, payload) for kind, payload in _riff_chunks(data) if kind not in (b"EXIF", b"XMP ")]
    new_exif = _orientation_exif(orientation)
    extended = bool(chunks) and chunks[0][0] == b"VP8X"
    if extended:
        # The VP8X flags say which metadata chunks follow; they must agree with what is left.
        flags = chunks[0][1][0] & ~(_WEBP_EXIF_FLAG | _WEBP_XMP_FLAG)
        if new_exif is not None:
            flags |= _WEBP_EXIF_FLAG
            chunks.append((b"EXIF", new_exif))
        chunks[0] = (b"VP8X", bytes((flags,)) + chunks[0][1][1:])
    body = b"WEBP" + b"".join(_riff_chunk(kind, payload) for kind, payload in chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _riff_chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise _Unreadable
    end = min(len(data), 8 + struct.unpack("<I", data[4:8])[0])
    position = 12
    while position + 8 <= end:
        kind, length = struct.unpack("<4sI", data[position : position + 8])
        if position + 8 + length > end:
            raise _Unreadable
        yield kind, data[position + 8 : position + 8 + length]
        position += 8 + length + (length & 1)


def _riff_chunk(kind: bytes, payload: bytes) -> bytes:
    return kind + struct.pack("<I", len(payload)) + payload + b"\x00" * (len(payload) & 1)


# --- TIFF: the file is itself an Exif structure, so it is written afresh ---------------------------------

#: What a fresh TIFF keeps of the original's settings; every other tag (GPS, XMP, IPTC, maker) is left out.
_TIFF_KEPT_INFO = ("compression", "dpi", "icc_profile")


def _strip_tiff(data: bytes, orientation: int | None) -> bytes:
    """Re-write the pages of a TIFF (scans, mostly) with their pixels, resolution and colour profile."""
    try:
        with Image.open(io.BytesIO(data), formats=["TIFF"]) as image:
            info = {key: image.info[key] for key in _TIFF_KEPT_INFO if key in image.info}
            pages = []
            for index in range(getattr(image, "n_frames", 1)):
                image.seek(index)
                # A copy is a plain image: it carries none of the tags Pillow would copy from a TIFF.
                pages.append(image.copy())
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _Unreadable from None
    exif = Image.Exif()
    if orientation is not None:
        exif[_EXIF_ORIENTATION] = orientation
    output = io.BytesIO()
    try:
        pages[0].save(output, "TIFF", save_all=True, append_images=pages[1:], exif=exif, **info)
    except (OSError, ValueError):
        # Pillow cannot write every compression it reads (JPEG-in-TIFF, some fax codings).
        info["compression"] = "tiff_deflate"
        output = io.BytesIO()
        pages[0].save(output, "TIFF", save_all=True, append_images=pages[1:], exif=exif, **info)
    return output.getvalue()


# --- HEIC: ISO media boxes, the metadata as items the "meta" box locates ---------------------------------

#: An Exif item is a 4-byte offset to the TIFF header, then the TIFF structure. This one has no
#: entries: a TIFF header and an empty first directory.
_EMPTY_HEIF_EXIF = b"\x00\x00\x00\x00" + b"MM\x00\x2a\x00\x00\x00\x08" + b"\x00\x00" + b"\x00\x00\x00\x00"
_XMP_CONTENT_TYPE = b"application/rdf+xml"


def _strip_heic(data: bytes, orientation: int | None) -> bytes:
    """Overwrite the Exif and XMP items of a HEIC photo in place, keeping every offset valid.

    Phones keep the place a photo was taken in its Exif item. The items are found through the
    "meta" box (item types in "iinf", byte ranges in "iloc") and their bytes replaced, at the same
    length, by an empty Exif structure or spaces, so the picture and every box stay where they are.
    The orientation needs no keeping: HEIC turns pictures with its own "irot" and "imir" boxes.
    """
    meta = _only_box(_boxes(data, 0, len(data)), b"meta")
    if meta is None:
        return data
    children = list(_boxes(data, meta[0] + 4, meta[1]))  # meta is a full box: 4 bytes of version and flags
    info = _only_box(children, b"iinf")
    locations = _only_box(children, b"iloc")
    if info is None or locations is None:
        return data
    metadata = _metadata_items(data, *info)
    if not metadata:
        return data
    idat = _only_box(children, b"idat")
    cleaned = bytearray(data)
    for item_id, extents in _item_extents(data, *locations, idat_start=idat[0] if idat else None):
        kind = metadata.get(item_id)
        if kind is None:
            continue
        total = sum(length for _, length in extents)
        filler = (_EMPTY_HEIF_EXIF if kind == b"Exif" and total >= len(_EMPTY_HEIF_EXIF) else b"").ljust(
            total, b" " if kind == b"mime" else b"\x00"
        )
        written = 0
        for start, length in extents:
            if start + length > len(data):
                raise _Unreadable
            cleaned[start : start + length] = filler[written : written + length]
            written += length
    return bytes(cleaned)


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of each box between start and end."""
    position = start
    while position + 8 <= end:
        size, kind = struct.unpack(">I4s", data[position : position + 8])
        header = 8
        if size == 1:
            if position + 16 > end:
                raise _Unreadable
            size = struct.unpack(">Q", data[position + 8 : position + 16])[0]
            header = 16
        elif size == 0:
            size = end - position
        if size < header or position + size > end:
            raise _Unreadable
        yield kind, position + header, position + size
        position += size


def _only_box(boxes: Iterable[tuple[bytes, int, int]], kind: bytes) -> tuple[int, int] | None:
    found = [(start, end) for box_kind, start, end in boxes if box_kind == kind]
    if len(found) > 1:
        raise _Unreadable
    return found[0] if found else None


def _metadata_items(data: bytes, start: int, end: int) -> dict[int, bytes]:
    """Item id -> b"Exif" or b"mime" (XMP) for the metadata items listed in an "iinf" box."""
    version = data[start]
    entries = start + 4 + (2 if version == 0 else 4)
    found: dict[int, bytes] = {}
    for kind, entry_start, entry_end in _boxes(data, entries, end):
        if kind != b"infe" or entry_end - entry_start < 4:
            continue
        entry_version = data[entry_start]
        if entry_version < 2:
            continue  # versions 0 and 1 name no item type; phones write 2 or 3
        position = entry_start + 4
        id_size = 2 if entry_version == 2 else 4
        if position + id_size + 6 > entry_end:
            raise _Unreadable
        item_id = int.from_bytes(data[position : position + id_size], "big")
        position += id_size + 2  # and the protection index
        item_type = data[position : position + 4]
        position += 4
        if item_type == b"Exif":
            found[item_id] = item_type
        elif item_type == b"mime":
            name_end = data.find(b"\x00", position, entry_end)  # the item's name, then its content type
            content_type = data[name_end + 1 : entry_end].split(b"\x00", 1)[0] if name_end >= 0 else b""
            if content_type.strip().lower() == _XMP_CONTENT_TYPE:
                found[item_id] = item_type
    return found


def _item_extents(
    data: bytes, start: int, end: int, *, idat_start: int | None
) -> Iterator[tuple[int, list[tuple[int, int]]]]:
    """Each item's byte ranges in the file, (start, length), from an "iloc" box."""
    version = data[start]
    position = start + 4
    if position + 2 > end:
        raise _Unreadable
    offset_size, length_size = data[position] >> 4, data[position] & 0x0F
    base_offset_size, index_size = data[position + 1] >> 4, data[position + 1] & 0x0F
    if version == 0:
        index_size = 0
    position += 2
    count_size = 2 if version < 2 else 4
    reader = _FieldReader(data, position, end)
    for _ in range(reader.read(count_size)):
        item_id = reader.read(count_size)
        method = reader.read(2) & 0x0F if version in (1, 2) else 0
        reader.read(2)  # data reference index
        base = reader.read(base_offset_size)
        extents: list[tuple[int, int]] = []
        for _ in range(reader.read(2)):
            reader.read(index_size)
            offset, length = reader.read(offset_size), reader.read(length_size)
            extents.append((offset, length))
        if method == 0:
            yield item_id, [(base + offset, length) for offset, length in extents]
        elif method == 1 and idat_start is not None:
            yield item_id, [(idat_start + base + offset, length) for offset, length in extents]
        else:
            raise _Unreadable  # metadata built from other items is not something phones write


class _FieldReader:
    """Big-endian unsigned fields of 0 to 8 bytes, read in turn from a box."""

    def __init__(self, data: bytes, position: int, end: int) -> None:
        self.data, self.position, self.end = data, position, end

    def read(self, size: int) -> int:
        if size not in (0, 1, 2, 4, 8) or self.position + size > self.end:
            raise _Unreadable
        value = int.from_bytes(self.data[self.position : self.position + size], "big")
        self.position += size
        return value


_STRIPPERS: Mapping[str, Callable[[bytes, int | None], bytes]] = MappingProxyType(
    {
        "image/jpeg": _strip_jpeg,
        "image/png": _strip_png,
        "image/webp": _strip_webp,
        "image/tiff": _strip_tiff,
        "image/heic": _strip_heic,
    }
)
