"""Uploads are checked by their content: a file is accepted only when it is of the type its name
says (training attachments, the project's only upload)."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from contactcenter.core.uploads import SIGNATURES, FileContentValidator
from contactcenter.training.models import ATTACHMENT_EXTENSIONS, LessonAttachment
from tests.training.factories import lessons_of, make_course


def zipped(*members: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            # A fixed date: the same bytes in every process (pytest-xdist's workers must collect
            # the same test ids, and these bytes are part of them).
            member = zipfile.ZipInfo(name, date_time=(2026, 1, 5, 9, 0, 0))
            member.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(member, data)
    return buffer.getvalue()


GOOD = {
    "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    "jpeg": b"\xff\xd8\xff\xe1\x00\x10Exif\x00",
    "gif": b"GIF89a\x01\x00\x01\x00",
    "webp": b"RIFF\x24\x00\x00\x00WEBPVP8 ",
    "txt": "Bonjour, voici la procédure.\n\tÉtape 1.\r\n".encode(),
    "csv": "name;phone\nAmélie;+33612345678\n".encode("cp1252"),
    "docx": zipped(("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>")),
    "xlsx": zipped(("[Content_Types].xml", b"<Types/>"), ("xl/workbook.xml", b"<workbook/>")),
    "pptx": zipped(("[Content_Types].xml", b"<Types/>"), ("ppt/presentation.xml", b"<p/>")),
    "odt": zipped(("mimetype", b"application/vnd.oasis.opendocument.text"), ("content.xml", b"<c/>")),
    "ods": zipped(("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"), ("content.xml", b"<c/>")),
    "odp": zipped(("mimetype", b"application/vnd.oasis.opendocument.presentation"), ("content.xml", b"<c/>")),
}
HTML_PAGE = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"
PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"


def check(name: str, content: bytes) -> None:
    FileContentValidator(ATTACHMENT_EXTENSIONS)(SimpleUploadedFile(name, content))


def test_every_allowed_extension_has_a_content_check():
    assert set(ATTACHMENT_EXTENSIONS) <= set(SIGNATURES)
    assert set(GOOD) == set(SIGNATURES)


@pytest.mark.parametrize("extension", sorted(GOOD))
def test_a_real_file_of_each_type_is_accepted(extension):
    check(f"file.{extension.upper()}", GOOD[extension])


# An HTML page is plain text: as .txt or .csv it passes (attachments are served as downloads).
@pytest.mark.parametrize(
    ("extension", "content"),
    [(extension, HTML_PAGE) for extension in sorted(GOOD) if extension not in ("txt", "csv")]
    + [(extension, PROGRAM) for extension in sorted(GOOD)],
)
def test_a_file_whose_content_is_not_its_type_is_refused(extension, content):
    with pytest.raises(ValidationError) as refused:
        check(f"file.{extension}", content)
    assert refused.value.error_list[0].code == "invalid_content"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.png", GOOD["pdf"]),  # another allowed type under a false name
        ("sheet.xlsx", GOOD["docx"]),  # a Word document named as a workbook
        ("notes.docx", zipped(("word/document.xml", b"x"))),  # a zip, not an office document
        ("data.ods", GOOD["odt"]),
        ("notes.txt", b"text\x00with a NUL"),
    ],
)
def test_a_disguised_file_is_refused(name, content):
    with pytest.raises(ValidationError):
        check(name, content)


def test_the_message_names_the_type_in_french_too():
    with pytest.raises(ValidationError) as refused:
        check("guide.pdf", HTML_PAGE)
    with translation.override("fr"):
        message = str(refused.value.messages[0])
    assert message == "Ce fichier n'est pas un vrai fichier PDF (son contenu ne correspond pas à «\u00a0.pdf\u00a0»)."


@pytest.mark.django_db
def test_a_lesson_attachment_is_checked_when_validated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    lesson = lessons_of(make_course(lessons=1, quiz=False))[0]
    bad = LessonAttachment(lesson=lesson, title="Guide", file=SimpleUploadedFile("guide.pdf", HTML_PAGE))
    with pytest.raises(ValidationError) as refused:
        bad.full_clean()
    assert "file" in refused.value.message_dict
    good = LessonAttachment(lesson=lesson, title="Guide", file=SimpleUploadedFile("guide.pdf", GOOD["pdf"]))
    good.full_clean()
    good.save()
    # Saved once, the file is not read again at each later validation.
    good.title = "Guide (2026)"
    good.full_clean()
