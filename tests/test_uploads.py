"""Uploads: the checks an uploaded file passes, and photos kept without their location."""

from __future__ import annotations

import hashlib
import io

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
