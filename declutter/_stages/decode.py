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
from typing import NamedTuple

from declutter._model.errors import InputTooLargeError, NotHTMLError
from declutter._rules.thresholds import (
    DETECT_SAMPLE,
    HEAD_BYTES,
    NEVER_TEXT_MIN,
    NEVER_TEXT_SHARE,
)

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
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data"),
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

#: The encodings a page may name (WHATWG's list, as Python codec names). Anything else
#: Python happens to know is refused: "rot13", "base64" or "zlib" are not text encodings
#: and fail to decode, and "utf-7" or "unicode_escape" would turn the page's bytes into
#: markup it never contained.
_WEB_CODECS = frozenset({
    "utf-8", "cp866", "koi8-r", "koi8-u", "mac-roman", "mac-cyrillic", "tis-620", "cp874",
    *(f"iso8859-{n}" for n in (2, 3, 4, 5, 6, 7, 8, 10, 11, 13, 14, 16)),
    *(f"cp125{n}" for n in range(9)),
    "gbk", "gb18030", "big5", "big5hkscs", "euc_jp", "iso2022_jp", "shift_jis", "cp932",
    "euc_kr", "cp949",
})

#: Control characters other than tab, line feed, carriage return, vertical tab and form
#: feed: never text. (CR becomes LF and VT and FF become spaces in ``clean_text``.)
_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F])
_SPACES = bytes.maketrans(b"\x0b\x0c", b"  ")
#: The C1 control characters U+0080-U+009F, as UTF-8 (read as windows-1252, see below).
_C1_RE = re.compile(rb"\xc2[\x80-\x9f]")
#: Character references that name a control character. C1 code points that HTML maps to
#: windows-1252 (``&#150;`` is a dash) are left to the parser; the five it leaves as
#: controls are matched.
#: A carriage return written as a reference (group "cr") becomes a line feed. One
#: pattern for both, so a page with references is searched once.
_CONTROL_REF_RE = re.compile(
    rb"&#(?:(?P<cr>0*13(?![0-9])|[xX]0*[dD](?![0-9a-fA-F]))"
    rb"|0*(?:[0-8]|1[1-24-9]|2[0-9]|3[01]|12[79]|14[134]|157)(?![0-9])"
    rb"|[xX]0*(?:[0-8]|[b-cB-CeEfF]|1[0-9a-fA-F]|7[fF]|8[1dDfF]|90|9[dD])(?![0-9a-fA-F]));?"
)
_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")
_HIGH_RE = re.compile(rb"[\x80-\xff]")


def _as_cp1252(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: read bytes that are not UTF-8 as windows-1252."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start:error.end].decode("cp1252", "replace"), error.end


codecs.register_error("declutter.cp1252", _as_cp1252)


class Source(NamedTuple):
    """The decoded page, and the same text as UTF-8: what the parser reads.

    Both travel together so no page is encoded twice (a UTF-8 page given as
    bytes is not encoded at all).
    """

    text: str
    data: bytes


def decode(html: object, max_bytes: int) -> Source:
    """Return the page as text, or raise the error the caller should see."""
    data: bytes | None = None
    if isinstance(html, str):
        # A character is 1 to 4 bytes in UTF-8: encode only when the count could matter.
        size = len(html)
        if max_bytes < size or (max_bytes < 4 * size and not html.isascii()
                                and max_bytes < len(html.encode("utf-8", "surrogatepass"))):
            raise InputTooLargeError(f"input is over the size limit of {max_bytes} bytes")
        text = html
        _refuse_binary_text(text)
    elif isinstance(html, (bytes, bytearray, memoryview)):
        size = html.nbytes if isinstance(html, memoryview) else len(html)
        if size > max_bytes:  # before any copy: refusing a huge input must cost nothing
            raise InputTooLargeError(
                f"input is {size} bytes, over the size limit of {max_bytes} bytes"
            )
        text, data = _decode_bytes(html if isinstance(html, bytes) else bytes(html))
    else:
        raise TypeError(
            f"html must be str, bytes or a parsed lxml tree, not {type(html).__name__}"
        )
    return _clean(text, data, parsed=True, judge=True)


def clean_text(text: str) -> str:
    """Drop characters that are never text (controls, lone surrogates, a leading BOM).

    Control characters are removed whether they stand in the page or are
    written as character references (``&#27;``), so no stage and no output
    (a terminal, a JSON file) ever sees one; CR becomes LF, and VT and FF
    become spaces, so words they separated stay apart.

    Runs on every page, so the common case stays in C: a UTF-8 round trip
    finds lone surrogates, and ``bytes.translate`` deletes the control bytes
    (in UTF-8 they never occur inside a multi-byte character).
    """
    return _clean(text, None).text


def _clean(text: str, data: bytes | None, *, parsed: bool = False,
           judge: bool = False) -> Source:
    """``clean_text``, given the text's UTF-8 bytes when the caller has them.

    ``parsed``: the text goes to the parser, which normalises line ends itself, so
    carriage returns stay (one copy and decode less on a third of real pages).
    ``judge``: refuse text that was never text (see :func:`_refuse_never_text`).
    """
    if text.startswith("\ufeff"):
        text, data = text[1:], None
    surrogates = 0
    if data is None:
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            text, surrogates = _SURROGATE_RE.subn("\ufffd", text)
            data = text.encode("utf-8")
    cleaned = data.translate(_SPACES, _CONTROL_BYTES)
    if judge:
        # lone surrogates are a caller's str made with surrogateescape: not counted
        # nor are NULs: stray ones come from broken crawlers (binary data with many is
        # refused by _refuse_binary_bytes)
        # In the common case nothing was deleted, so there is no NUL to count; and the
        # replacement characters are counted in the text, where a page whose characters
        # are all below U+0100 answers at once and others are searched two bytes a
        # character instead of three (the counts agree: U+FFFD's UTF-8 bytes occur only
        # as that character).
        removed = len(data) - len(cleaned)
        junk = text.count("\ufffd") - surrogates + (removed - data.count(0) if removed else 0)
        _refuse_never_text(len(text), junk)
    if not parsed and b"\r" in cleaned:  # the parser turns CR and CRLF into LF itself
        cleaned = cleaned.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if b"\xc2" in cleaned:
        cleaned = _C1_RE.sub(_c1_as_cp1252, cleaned)
    if b"&#" in cleaned:  # the function runs only for a control reference, which is rare
        cleaned = _CONTROL_REF_RE.sub(_control_ref, cleaned)
    if cleaned == data:
        return Source(text, data)
    return Source(cleaned.decode("utf-8"), cleaned)


def _control_ref(match: re.Match[bytes]) -> bytes:
    return b"\n" if match.group("cr") else b""


def _c1_as_cp1252(match: re.Match[bytes]) -> bytes:
    """A C1 control is a windows-1252 character decoded as Latin-1 (what HTTP clients
    do by default): "didn\x92t" means "didn’t". Read it as browsers do; the five
    code points windows-1252 leaves undefined become a space, so no words are glued."""
    char = bytes([match.group()[1]]).decode("cp1252", "replace")
    return b" " if char == "\ufffd" else char.encode("utf-8")


def _refuse_never_text(length: int, junk: int) -> None:
    """Refuse a decoded page ``junk`` of whose ``length`` characters are controls or U+FFFD.

    Bytes that were never text (random data, compressed data without a signature
    such as Brotli, an encrypted file) decode without error in a single-byte
    encoding, and would come out as an article of mojibake; their share of control
    and replacement characters gives them away, whatever encoding read them.
    """
    if junk >= NEVER_TEXT_MIN and junk > NEVER_TEXT_SHARE * length:
        raise NotHTMLError(
            f"input is binary data, not HTML or text ({junk} of its {length} characters "
            f"are control or replacement characters)"
        )


def _refuse_binary_text(text: str) -> None:
    head = text[:16].lstrip()
    if head.startswith("%PDF-"):
        raise NotHTMLError("input is a PDF document, not HTML")
    sample = text[:HEAD_BYTES]
    if sample and sample.count("\x00") > len(sample) // 10:
        raise NotHTMLError("input is binary data, not HTML or text")


def _decode_bytes(data: bytes) -> tuple[str, bytes | None]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, "replace"), None
    if data[:2] in (b"<\x00", b" \x00", b"\n\x00") or data[:2] in (b"\x00<", b"\x00 ", b"\x00\n"):
        # UTF-16 without a byte-order mark: a NUL beside every ASCII character.
        encoding = "utf-16-le" if data[1] == 0 else "utf-16-be"
        return data.decode(encoding, "replace"), None
    _refuse_binary_bytes(data)
    try:
        return data.decode("utf-8"), data  # valid UTF-8: the parser reads these very bytes
    except UnicodeDecodeError as error:
        if error.reason == "unexpected end of data":
            # A download cut short inside the last character; all before it is UTF-8.
            return data[: error.start].decode("utf-8"), None
    if _mostly_utf8(data):
        return data.decode("utf-8", "declutter.cp1252"), None
    declared = declared_encoding(data[:HEAD_BYTES])
    if declared and declared != "utf-8":
        return data.decode(declared, "replace"), None
    return _detect(data), None


def _mostly_utf8(data: bytes) -> bool:
    """UTF-8 with stray bytes: a pasted windows-1252 snippet, a damaged download.

    Valid multi-byte UTF-8 sequences almost never occur by chance in legacy
    text (a lead byte must be followed by just the right symbols), so a page
    with some of them, and not many more strays, is UTF-8: its strays are read
    as windows-1252 rather than the whole page turned into mojibake.
    """
    text = data.decode("utf-8", "replace")
    stray = text.count("\ufffd") - data.count("\ufffd".encode())
    valid = len(text) - len(text.encode("ascii", "ignore")) - stray
    return valid > 0 and 4 * valid >= stray


def _refuse_binary_bytes(data: bytes) -> None:
    head = data[:32].lstrip()
    for magic, name in _MAGIC:
        if head.startswith(magic):
            if name.endswith("-compressed data"):
                # declutter.bulk.prepare_page unpacks these; the API takes a page as it is
                raise NotHTMLError(f"input is {name}, not HTML: unpack it first (the "
                                   f"declutter command and bulk runs do)")
            raise NotHTMLError(f"input is {_article(name)} {name}, not HTML")
    if data[4:8] in _ISO_MEDIA:
        raise NotHTMLError("input is an ISO media file (MP4, MOV, HEIC), not HTML")
    sample = data[:HEAD_BYTES]
    if sample and sample.count(0) > len(sample) // 10:
        raise NotHTMLError("input is binary data, not HTML or text")


def _article(name: str) -> str:
    return "an" if name[0].lower() in "aeiou" else "a"


def declared_encoding(head: bytes) -> str | None:
    """The Python codec name of the charset the page declares, if it names a real one."""
    for match in _DECLARED_RE.finditer(head):
        label = (match.group(1) or match.group(2) or b"").decode("ascii", "ignore")
        name = codec_name(label)
        if name:
            return name
    return None


def codec_name(label: str) -> str | None:
    """The Python codec a charset label names, as browsers read it; None for no web encoding.

    Shared with the WARC reader, which must read an HTTP ``charset`` exactly as a
    page's own ``<meta charset>``.
    """
    label = label.strip().strip("\"'").lower()
    if not label:
        return None
    if label in {"x-user-defined", "unicode", "utf-16", "utf-32"}:
        # Declared on pages whose bytes are in fact ASCII-compatible.
        return None
    try:
        name = codecs.lookup(label).name
    except (LookupError, ValueError):  # unknown, or not a name at all ("\x00utf-8")
        return None
    if name in _AS_CP1252:
        return "cp1252"
    if name == "gb2312":
        return "gbk"  # a superset, as browsers read it
    return name if name in _WEB_CODECS else None


def _detect(data: bytes) -> str:
    """Guess the encoding from a sample around the first non-ASCII byte, decode it all.

    Detectors take seconds per megabyte, so they see a bounded sample; it
    starts just before the first non-ASCII byte because a page's first
    kilobytes are often ASCII markup that says nothing about its encoding.
    """
    first = _HIGH_RE.search(data)
    start = max(0, first.start() - 1024) if first else 0
    sample = data[start:start + DETECT_SAMPLE]
    for label in _candidates(sample):
        name = codec_name(label)
        if name is None or name == "utf-8":  # the caller knows the page is not UTF-8
            continue
        try:
            codecs.getincrementaldecoder(name)().decode(sample, final=False)
        except UnicodeDecodeError:
            continue
        return data.decode(name, "replace")
    return data.decode("cp1252", "replace")


def _candidates(sample: bytes) -> list[str]:
    """Encodings to try, most likely first (declared in the sample, then detected).

    A detector that crashes is not caught: that is a bug to fix (a broken
    install, an incompatible chardet), not a page to read as windows-1252
    without a word. Pages the detector has no answer for still fall back.
    """
    from bs4.dammit import EncodingDetector

    return [name for name in EncodingDetector(sample, is_html=True).encodings if name]
