"""Stage 1, decode: turn the caller's ``str`` or ``bytes`` into text.

Pages arrive as bytes in whatever encoding the server used, and the declared
charset is often wrong or malformed ("utf-8, ie=edge"). We trust, in order:
a byte-order mark, valid UTF-8, the charset the page declares, and finally
detection. Binary files saved as .html are refused here, before the parser
sees them.
"""

from __future__ import annotations

import codecs
import re

from ._errors import InputTooLargeError, NotHTMLError

#: File signatures of formats that are certainly not HTML.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "PDF document"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"RIFF", "RIFF media (WebP, WAV, AVI)"),
    (b"PK\x03\x04", "ZIP archive (or an office document)"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"BZh", "bzip2-compressed data"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"\x7fELF", "ELF executable"),
    (b"MZ", "Windows executable"),
    (b"\x00\x00\x01\x00", "icon image"),
    (b"OggS", "Ogg media"),
    (b"fLaC", "FLAC audio"),
    (b"ID3", "MP3 audio"),
    (b"wOFF", "web font"),
    (b"wOF2", "web font"),
    (b"\xd0\xcf\x11\xe0", "legacy office document"),
    (b"SQLite format 3", "SQLite database"),
)
_ISO_MEDIA = (b"ftyp",)  # MP4 / MOV / HEIC: the signature stands at offset 4

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_DECLARED_RE = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)"""
    rb"""|<\?xml[^>]+encoding\s*=\s*["']\s*([A-Za-z0-9_.:\-]+)""",
    re.IGNORECASE,
)

#: Browsers read these labels as windows-1252, a superset; so do we (WHATWG Encoding).
_AS_CP1252 = frozenset({"latin-1", "iso8859-1", "ascii", "cp1252", "iso8859-15"})

#: Control characters other than tab, line feed and carriage return: never text.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")


def decode(html: object, max_bytes: int) -> str:
    """Return the page as text, or raise the error the caller should see."""
    if isinstance(html, str):
        if len(html) > max_bytes and len(html.encode("utf-8", "surrogatepass")) > max_bytes:
            raise InputTooLargeError(f"input is over the size limit of {max_bytes} bytes")
        text = html
        _refuse_binary_text(text)
    elif isinstance(html, (bytes, bytearray, memoryview)):
        data = bytes(html)
        if len(data) > max_bytes:
            raise InputTooLargeError(
                f"input is {len(data)} bytes, over the size limit of {max_bytes} bytes"
            )
        text = _decode_bytes(data)
    else:
        raise TypeError(f"html must be str or bytes, not {type(html).__name__}")
    return clean_text(text)


def clean_text(text: str) -> str:
    """Drop characters that are never text (controls, lone surrogates, a leading BOM).

    Runs on every page, so the common case stays in C: a UTF-8 round trip
    finds lone surrogates, and ``bytes.translate`` deletes the control bytes
    (in UTF-8 they never occur inside a multi-byte character).
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        text = _SURROGATE_RE.sub("\ufffd", text)
        data = text.encode("utf-8")
    cleaned = data.translate(None, _CONTROL_BYTES)
    return text if len(cleaned) == len(data) else cleaned.decode("utf-8")


def _refuse_binary_text(text: str) -> None:
    head = text[:16].lstrip()
    if head.startswith("%PDF-"):
        raise NotHTMLError("input is a PDF document, not HTML")
    sample = text[:4096]
    if sample and sample.count("\x00") > len(sample) // 10:
        raise NotHTMLError("input is binary data, not HTML or text")


def _decode_bytes(data: bytes) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, "replace")
    if data[:2] in (b"<\x00", b" \x00", b"\n\x00") or data[:2] in (b"\x00<", b"\x00 ", b"\x00\n"):
        # UTF-16 without a byte-order mark: a NUL beside every ASCII character.
        encoding = "utf-16-le" if data[1] == 0 else "utf-16-be"
        return data.decode(encoding, "replace")
    _refuse_binary_bytes(data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = declared_encoding(data[:4096])
    if declared and declared != "utf-8":
        return data.decode(declared, "replace")
    return _detect(data)


def _refuse_binary_bytes(data: bytes) -> None:
    head = data[:32].lstrip()
    for magic, name in _MAGIC:
        if head.startswith(magic):
            raise NotHTMLError(f"input is {_article(name)} {name}, not HTML")
    if data[4:8] in _ISO_MEDIA:
        raise NotHTMLError("input is an ISO media file (MP4, MOV, HEIC), not HTML")
    sample = data[:4096]
    if sample and sample.count(0) > len(sample) // 10:
        raise NotHTMLError("input is binary data, not HTML or text")


def _article(name: str) -> str:
    return "an" if name[0].lower() in "aeiou" else "a"


def declared_encoding(head: bytes) -> str | None:
    """The Python codec name of the charset the page declares, if it names a real one."""
    for match in _DECLARED_RE.finditer(head):
        label = (match.group(1) or match.group(2) or b"").decode("ascii", "ignore")
        name = _codec_name(label)
        if name:
            return name
    return None


def _codec_name(label: str) -> str | None:
    label = label.strip().strip("\"'").lower()
    if not label:
        return None
    if label in {"x-user-defined", "unicode", "utf-16", "utf-32"}:
        # Declared on pages whose bytes are in fact ASCII-compatible.
        return None
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if name in _AS_CP1252:
        return "cp1252"
    if name.startswith("utf-16") or name.startswith("utf-32"):
        return None
    return name


def _detect(data: bytes) -> str:
    try:
        from bs4.dammit import UnicodeDammit

        dammit = UnicodeDammit(data, is_html=True)
        if dammit.unicode_markup is not None:
            return dammit.unicode_markup
    except Exception:  # detection is best effort; cp1252 below always works
        pass
    return data.decode("cp1252", "replace")
