"""Uploads: the checks an uploaded file passes, and photos kept without their location."""

from __future__ import annotations

import hashlib
import io
import struct

import pytest
from PIL import Image

from engine import storage, uploads
from engine.definition import Question
from engine.loader import load_form_text
from engine.messages import error_message
from engine.questions import Invalid

GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE = 0x010F
XMP_TAG = 700

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def file_question(settings: str = "") -> Question:
    """A file question as the loader builds it, with the given YAML settings lines."""
    form = load_form_text(
        f"""
title: Report a pothole
pages:
  - id: evidence
    questions:
      - id: photo
        type: file
        label: Upload a photo of the pothole
{settings}
""",
        "forms/pothole.yaml",
    )
    return form.question("photo")


def photo(image_format: str, size: tuple[int, int] = (64, 48)) -> bytes:
    """A small photo as a phone saves it: a maker, an orientation and where it was taken."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[MAKE] = "Pocket Phone"
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (51.0, 45.0, 12.5), 3: "W", 4: (1.0, 15.0, 3.2)})
    output = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(output, image_format, exif=exif)
    return output.getvalue()


def read_image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_a_jpeg_loses_its_gps_location_and_keeps_its_size_and_orientation() -> None:
    original = photo("JPEG", (64, 48))
    assert read_image(original).getexif().get_ifd(GPS_IFD)

    stripped = read_image(uploads.strip_location("image/jpeg", original))

    assert stripped.getexif().get_ifd(GPS_IFD) == {}
    assert dict(stripped.getexif()) == {ORIENTATION: 6}
    assert stripped.size == (64, 48)


def test_a_jpeg_keeps_its_compressed_picture_byte_for_byte() -> None:
    original = photo("JPEG")

    stripped = uploads.strip_location("image/jpeg", original)

    start_of_scan = original.index(b"\xff\xda")
    assert stripped.endswith(original[start_of_scan:])
    assert len(stripped) < len(original)


def test_data_hidden_after_the_end_of_a_jpeg_is_not_kept() -> None:
    trailer = b"location: 51.7520,-1.2577"

    stripped = uploads.strip_location("image/jpeg", photo("JPEG") + trailer)

    assert trailer not in stripped
    assert stripped.endswith(b"\xff\xd9")


@pytest.mark.parametrize(("image_format", "content_type"), [("PNG", "image/png"), ("WEBP", "image/webp")])
def test_png_and_webp_photos_lose_their_gps_location_but_not_their_pixels(
    image_format: str, content_type: str
) -> None:
    original = photo(image_format)

    stripped = read_image(uploads.strip_location(content_type, original))

    assert stripped.getexif().get_ifd(GPS_IFD) == {}
    assert dict(stripped.getexif()) == {ORIENTATION: 6}
    assert stripped.tobytes() == read_image(original).tobytes()


def test_a_photo_without_an_orientation_keeps_no_exif_at_all() -> None:
    output = io.BytesIO()
    exif = Image.Exif()
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (51.0, 45.0, 12.5)})
    Image.new("RGB", (8, 8)).save(output, "JPEG", exif=exif)

    stripped = uploads.strip_location("image/jpeg", output.getvalue())

    assert b"Exif\x00\x00" not in stripped
    assert dict(read_image(stripped).getexif()) == {}


def test_a_tiff_is_written_afresh_without_its_maker_or_xmp_tags() -> None:
    output = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(
        output, "TIFF", tiffinfo={MAKE: "Scanner", XMP_TAG: b"<x:xmpmeta>51.75,-1.25</x:xmpmeta>"}
    )

    stripped = read_image(uploads.strip_location("image/tiff", output.getvalue()))

    assert MAKE not in stripped.getexif()
    assert XMP_TAG not in stripped.getexif()
    assert stripped.size == (40, 30)


def test_a_pdf_is_accepted_where_only_pdfs_are_and_stored_unchanged() -> None:
    question = file_question("        accept: [pdf]")

    content_type = uploads.check_upload(question, "letter.pdf", PDF)

    assert content_type == "application/pdf"
    assert uploads.strip_location(content_type, PDF) == PDF


def test_a_png_passes_where_photos_are_accepted() -> None:
    question = file_question("        accept: [jpg, png]")

    assert uploads.check_upload(question, "pothole.png", photo("PNG")) == "image/png"


def test_a_text_file_renamed_as_a_photo_is_refused_as_the_wrong_type() -> None:
    question = file_question("        accept: [jpg, png]")

    with pytest.raises(Invalid) as refused:
        uploads.check_upload(question, "pothole.jpg", b"Just some notes about the pothole\n")

    assert refused.value.code == "file_type"
    assert (
        error_message("file_type", accept=refused.value.params["accept"])
        == "The selected file must be a JPG or PNG"
    )


def test_a_png_named_pdf_is_judged_as_the_png_it_is() -> None:
    with pytest.raises(Invalid, match="file_type"):
        uploads.check_upload(file_question("        accept: [pdf]"), "letter.pdf", photo("PNG"))

    assert (
        uploads.check_upload(file_question("        accept: [png]"), "letter.pdf", photo("PNG"))
        == "image/png"
    )


def test_bytes_that_start_like_a_jpeg_but_are_not_one_are_refused_as_the_wrong_type() -> None:
    question = file_question("        accept: [jpg]")
    fake = b"\xff\xd8\xff" + b"not a picture at all" * 10

    with pytest.raises(Invalid) as refused:
        uploads.strip_location(uploads.check_upload(question, "photo.jpg", fake), fake)

    assert refused.value.code == "file_type"


def test_an_empty_file_is_refused_before_anything_else() -> None:
    with pytest.raises(Invalid) as refused:
        uploads.check_upload(file_question("        accept: [pdf]"), "letter.pdf", b"")

    assert refused.value.code == "file_empty"


def test_a_file_over_the_questions_max_size_is_refused_naming_the_limit() -> None:
    question = file_question("        accept: [pdf]\n        max_size: 1KB")

    with pytest.raises(Invalid) as refused:
        uploads.check_upload(question, "letter.pdf", PDF + b" " * 1024)

    assert refused.value.code == "file_too_large"
    assert (
        error_message("file_too_large", max_size=refused.value.params["max_size"])
        == "The file must be smaller than 1KB"
    )


def test_without_a_max_size_the_limit_is_ten_megabytes() -> None:
    question = file_question("        accept: [pdf]")
    padding = b" " * (uploads.DEFAULT_MAX_SIZE - len(PDF))

    assert uploads.check_upload(question, "letter.pdf", PDF + padding) == "application/pdf"
    with pytest.raises(Invalid, match="file_too_large"):
        uploads.check_upload(question, "letter.pdf", PDF + padding + b" ")


def test_without_accept_any_type_coform_knows_is_taken_and_unknown_content_is_not() -> None:
    question = file_question()

    assert uploads.check_upload(question, "letter.pdf", PDF) == "application/pdf"
    with pytest.raises(Invalid, match="file_type"):
        uploads.check_upload(question, "program.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00")


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("pothole.jpg", "pothole.jpg"),
        (r"C:\Users\sam\Pictures\pothole.jpg", "pothole.jpg"),
        ("../../etc/passwd", "passwd"),
        ("pot\x00hole\r\n.jpg", "pothole.jpg"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),
        ("  my   photo .jpg ", "my photo .jpg"),
        ("..", "file"),
        ("", "file"),
        ("a" * 300 + ".jpeg", "a" * 94 + "….jpeg"),
    ],
)
def test_file_names_lose_paths_control_characters_and_excess_length(sent: str, kept: str) -> None:
    assert uploads.clean_filename(sent) == kept
    assert len(uploads.clean_filename(sent)) <= uploads.MAX_FILENAME_LENGTH


async def new_draft() -> str:
    await storage.record_form_version("pothole", "v1", {"title": "Report a pothole"})
    draft, _ = await storage.create_draft("pothole", "v1", "en")
    return draft.id


@pytest.mark.usefixtures("storage")
async def test_an_accepted_photo_is_stored_without_its_location_under_its_cleaned_name() -> None:
    draft_id = await new_draft()
    original = photo("JPEG")

    file_id = await uploads.accept_upload(
        draft_id, file_question("        accept: [jpg]"), "C:\\phone\\IMG_0001.JPG", original
    )

    stored, data = await storage.get_file(file_id)
    assert data == uploads.strip_location("image/jpeg", original)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert (stored.filename, stored.content_type, stored.question_id) == (
        "IMG_0001.JPG",
        "image/jpeg",
        "photo",
    )
    assert read_image(data).getexif().get_ifd(GPS_IFD) == {}


@pytest.mark.usefixtures("storage")
async def test_an_upload_beyond_max_files_is_refused_and_not_stored() -> None:
    draft_id = await new_draft()
    question = file_question("        accept: [pdf]\n        max_files: 2")

    await uploads.accept_upload(draft_id, question, "one.pdf", PDF, attached=1)
    with pytest.raises(Invalid) as refused:
        await uploads.accept_upload(draft_id, question, "three.pdf", PDF, attached=2)

    assert (refused.value.code, refused.value.params) == ("too_many_files", {"count": 2})


# --- HEIC: phones' default photo format -----------------------------------------------------------


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def _full_box(kind: bytes, version: int, payload: bytes) -> bytes:
    return _box(kind, bytes((version, 0, 0, 0)) + payload)


def _infe(item_id: int, item_type: bytes, name: bytes = b"", content_type: bytes = b"") -> bytes:
    extra = name + b"\x00" + (content_type + b"\x00" if item_type == b"mime" else b"")
    return _full_box(b"infe", 2, struct.pack(">HH4s", item_id, 0, item_type) + extra)


GPS_EXIF = b"\x00\x00\x00\x00" + b"MM\x00\x2a\x00\x00\x00\x08" + b"GPSLatitude 51.75 N, GPSLongitude 1.25 W"
XMP = b'<x:xmpmeta><rdf:Description exif:GPSLatitude="51,45.12N"/></x:xmpmeta>'
PICTURE = b"\x00\x00\x00\x10hevc-coded-picture-bytes"


def heic_photo(*, in_idat: bool = False) -> bytes:
    """A HEIC as phones write it, in outline: ftyp, a meta box locating a picture, an Exif item
    and an XMP item, and the bytes in mdat (or, with in_idat, the Exif item inside meta's idat)."""
    ftyp = _box(b"ftyp", b"heic" + b"\x00\x00\x00\x00" + b"mif1heic")
    hdlr = _full_box(b"hdlr", 0, b"\x00" * 4 + b"pict" + b"\x00" * 12 + b"\x00")
    iinf = _full_box(
        b"iinf",
        0,
        struct.pack(">H", 3)
        + _infe(1, b"hvc1")
        + _infe(2, b"Exif")
        + _infe(3, b"mime", b"XMP", b"application/rdf+xml"),
    )

    def iloc(offsets: dict[int, tuple[int, int, int]]) -> bytes:
        # Version 1: offset and length 4 bytes, no base offset, a construction method per item.
        entries = b"".join(
            struct.pack(">HHHHII", item, method, 0, 1, offset, length)
            for item, (method, offset, length) in offsets.items()
        )
        return _full_box(b"iloc", 1, bytes((0x44, 0x00)) + struct.pack(">H", len(offsets)) + entries)

    def build(offsets: dict[int, tuple[int, int, int]]) -> bytes:
        idat = [_box(b"idat", GPS_EXIF)] if in_idat else []
        meta = _full_box(b"meta", 0, hdlr + iinf + iloc(offsets) + b"".join(idat))
        mdat = _box(b"mdat", PICTURE + (b"" if in_idat else GPS_EXIF) + XMP)
        return ftyp + meta + mdat

    # Offsets depend on the meta box's size, which does not depend on their values: build twice.
    draft = build({1: (0, 0, 0), 2: (0, 0, 0), 3: (0, 0, 0)})
    mdat_data = len(draft) - len(PICTURE) - (0 if in_idat else len(GPS_EXIF)) - len(XMP)
    exif_place = (1, 0, len(GPS_EXIF)) if in_idat else (0, mdat_data + len(PICTURE), len(GPS_EXIF))
    xmp_start = mdat_data + len(PICTURE) + (0 if in_idat else len(GPS_EXIF))
    return build({1: (0, mdat_data, len(PICTURE)), 2: exif_place, 3: (0, xmp_start, len(XMP))})


@pytest.mark.parametrize("in_idat", [False, True], ids=["exif in mdat", "exif in idat"])
def test_a_heic_photo_loses_its_exif_and_xmp_location_and_keeps_its_picture_and_layout(in_idat: bool) -> None:
    original = heic_photo(in_idat=in_idat)
    assert b"GPSLatitude" in original
    question = file_question("        accept: [heic, jpg]")
    assert uploads.check_upload(question, "IMG_0001.HEIC", original) == "image/heic"

    cleaned = uploads.strip_location("image/heic", original)

    assert b"GPS" not in cleaned
    assert len(cleaned) == len(original)  # nothing moved, so every offset in the file still holds
    assert PICTURE in cleaned
    assert cleaned[:8] == original[:8]
    # The Exif item is now an empty Exif structure, which readers accept.
    assert b"MM\x00\x2a\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00" in cleaned


def test_a_heic_whose_boxes_run_past_its_end_is_refused_as_the_wrong_type() -> None:
    broken = heic_photo()[:-40]
    with pytest.raises(Invalid) as refused:
        uploads.strip_location("image/heic", broken)
    assert refused.value.code == "file_type"


def test_a_heic_without_metadata_items_is_stored_unchanged() -> None:
    bare = _box(b"ftyp", b"heic\x00\x00\x00\x00mif1") + _box(b"mdat", PICTURE)
    assert uploads.strip_location("image/heic", bare) == bare
