"""Decoding: pages arrive as bytes in many encodings, often mislabelled.

A wrong guess turns every accented letter into mojibake ("CafÃ©"), which no
later stage can repair, so each way a page can declare (or fail to declare)
its encoding gets a test.
"""

from __future__ import annotations

import codecs
import re

import pytest
from _news import EN, RU, page

import declutter

ACCENTED = (
    "At the “Café Müller” on the quay, the owner said she’d been waiting since 2015 for the "
    "wall to be fixed — “it’s the whole façade of the town,” she said, pouring a crème brûlée "
    "for a customer who had come, like every Tuesday, from the naïve painters’ studio next door."
)
BODY = [EN[0], ACCENTED, *EN[1:]]
EXPECTED = "\n\n".join(BODY)
MOJIBAKE = ("Ã", "â€", "Â", "\ufffd")


def html_with(head: str = "", body: list[str] | None = None) -> str:
    """A page whose head starts with ``head`` (the charset declaration under test)."""
    paragraphs = "\n".join(f"<p>{text}</p>" for text in (body or BODY))
    html = page(paragraphs, head=head)
    # Tests put their own declaration in; the builder's utf-8 one would compete with it.
    return html.replace('<meta charset="utf-8">\n', "", 1)


def assert_clean(out: str, expected: str = EXPECTED) -> None:
    for bad in MOJIBAKE:
        assert bad not in out, f"mojibake {bad!r} in:\n{out}"
    assert out == expected


def test_utf8_without_bom() -> None:
    assert_clean(declutter.clean(html_with('<meta charset="utf-8">').encode("utf-8")))


def test_utf8_with_bom() -> None:
    data = codecs.BOM_UTF8 + html_with('<meta charset="utf-8">').encode("utf-8")
    assert_clean(declutter.clean(data))


def test_utf8_with_bom_and_no_declaration() -> None:
    assert_clean(declutter.clean(codecs.BOM_UTF8 + html_with().encode("utf-8")))


def test_utf8_without_declaration() -> None:
    assert_clean(declutter.clean(html_with().encode("utf-8")))


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_bom(codec: str) -> None:
    text = html_with('<meta charset="utf-16">')
    if codec == "utf-16":
        data = text.encode(codec)  # Python writes the platform's BOM
    else:
        bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
        data = bom + text.encode(codec)
    assert_clean(declutter.clean(data))


@pytest.mark.parametrize("declaration", [
    '<meta charset="windows-1252">',
    "<meta charset=windows-1252>",
    '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">',
    '<meta http-equiv="content-type" content="text/html; charset=windows-1252, ie=edge">',
])
def test_windows_1252_declared(declaration: str) -> None:
    """Curly quotes and the dash are the bytes 0x80-0x9F that Latin-1 would get wrong."""
    data = html_with(declaration).encode("cp1252")
    assert b"\x93" in data and b"\xe9" in data
    assert_clean(declutter.clean(data))


@pytest.mark.parametrize("label", ["iso-8859-1", "ISO-8859-1", "latin1"])
def test_iso_8859_1_declared(label: str) -> None:
    body = [EN[0], "Le café Müller, près du quai, a rouvert ses portes à l'été; señor García "
            "et sa fille y servent désormais des crêpes, du thé et des gâteaux aux touristes "
            "qui attendent le bac de onze heures.", *EN[1:]]
    data = html_with(f'<meta http-equiv="Content-Type" content="text/html; charset={label}">',
                     body).encode("latin-1")
    assert_clean(declutter.clean(data), "\n\n".join(body))


def test_windows_1252_undeclared_is_detected() -> None:
    assert_clean(declutter.clean(html_with().encode("cp1252")))


@pytest.mark.parametrize("content", [
    "text/html; charset=utf-8, ie=edge",
    "text/html; charset=UTF-8;",
    "text/html; charset='utf-8'",
    "text/html; charset=",
    "text/html; charset=no-such-encoding",
])
def test_malformed_charset_values(content: str) -> None:
    """Broken declarations seen in the wild must neither crash nor win over valid UTF-8."""
    declaration = f'<meta http-equiv="Content-Type" content="{content}">'
    assert_clean(declutter.clean(html_with(declaration).encode("utf-8")))


def test_wrong_declaration_but_valid_utf8() -> None:
    """Servers often send UTF-8 pages that still say Latin-1 in their meta tag."""
    data = html_with('<meta charset="iso-8859-1">').encode("utf-8")
    assert_clean(declutter.clean(data))


@pytest.mark.parametrize("encoding", ["utf-8", "ISO-8859-1", "windows-1252"])
def test_xml_declaration_in_str(encoding: str) -> None:
    """lxml refuses str input with an encoding declaration; declutter must not."""
    text = f'<?xml version="1.0" encoding="{encoding}"?>\n' + html_with()
    assert_clean(declutter.clean(text))
    assert declutter.extract(text).text == EXPECTED


def test_xml_declaration_in_bytes() -> None:
    text = '<?xml version="1.0" encoding="windows-1252"?>\n' + html_with()
    assert_clean(declutter.clean(text.encode("cp1252")))


def test_xhtml_str_with_declaration_and_namespace() -> None:
    text = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
            '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
            + html_with().replace("<html ", '<html xmlns="http://www.w3.org/1999/xhtml" ', 1))
    assert_clean(declutter.clean(text))


@pytest.mark.parametrize("as_bytes", [False, True], ids=["str", "bytes"])
def test_nul_bytes(as_bytes: bool) -> None:
    """Stray NULs (from broken crawlers) are dropped, not turned into text or errors."""
    text = html_with('<meta charset="utf-8">').replace("harbour wall", "harbour\x00 wall")
    text = text.replace("<body>", "<body>\x00\x00")
    out = declutter.clean(text.encode("utf-8") if as_bytes else text)
    assert "\x00" not in out
    assert_clean(out)


def test_lone_surrogates_in_str() -> None:
    """Strings from surrogateescape decoding or JS sources can hold lone surrogates."""
    broken = EN[2].replace("concrete", "concrete\ud800", 1)
    text = html_with(body=[EN[0], broken, EN[1]]).replace("</p>", "\udcff</p>", 1)
    article = declutter.extract(text)
    article.text.encode("utf-8")  # no surrogates left to fail on
    article.to_json().encode("utf-8")
    assert article.text.split("\n\n")[1].replace("\ufffd", "") == EN[2]


def test_surrogate_pair_str_is_not_damaged() -> None:
    body = [EN[0], "The harbour’s mascot, a grey seal called Boris 🦭, was moved to a quieter "
            "bay for the three years of works, which his keepers said suited him 👍 just fine.",
            *EN[1:]]
    text = html_with('<meta charset="utf-8">', body)
    assert declutter.clean(text) == "\n\n".join(body)
    assert declutter.clean(text.encode("utf-8")) == "\n\n".join(body)


def test_declared_utf8_but_windows_1252_bytes() -> None:
    """The declaration lies and the bytes are not UTF-8: detection must rescue the text."""
    assert_clean(declutter.clean(html_with('<meta charset="utf-8">').encode("cp1252")))


@pytest.mark.parametrize("codec", ["windows-1251", "koi8-r"])
def test_cyrillic_legacy_encodings_declared(codec: str) -> None:
    data = html_with(f'<meta charset="{codec}">', list(RU)).encode(codec)
    assert_clean(declutter.clean(data), "\n\n".join(RU))


@pytest.mark.parametrize("as_bytes", [False, True], ids=["str", "bytes"])
def test_form_feed_is_whitespace(as_bytes: bool) -> None:
    """HTML counts form feed as whitespace: deleting it would glue two words together."""
    text = html_with('<meta charset="utf-8">').replace("harbour wall", "harbour\x0cwall", 1)
    assert_clean(declutter.clean(text.encode("utf-8") if as_bytes else text))


def test_c1_characters_in_str_do_not_glue_words() -> None:
    """A str decoded as Latin-1 from cp1252 bytes (the HTTP default for text/html) holds
    U+0091-U+0094 where the page had quotes and apostrophes. Deleting them glues words
    ("didn’t" -> "didnt"); browsers map them to the cp1252 characters."""
    body = [EN[0], "The harbour’s engineers said they didn’t expect the wall to last "
            "another winter without repairs, calling the vote “a fresh start” for the town.",
            *EN[1:]]
    text = html_with('<meta charset="utf-8">', body).encode("cp1252").decode("latin-1")
    assert "\x92" in text
    out = declutter.clean(text)
    assert re.findall(r"\w+", out) == re.findall(r"\w+", "\n\n".join(body)), out


def test_a_detector_that_crashes_is_not_read_as_windows_1252(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash of the charset detector is a bug to see, not a page to read as cp1252."""
    import bs4.dammit

    page = "<p>Привет, мир. Это статья о погоде.</p>".encode("koi8-r")
    reference = declutter.clean(page, options=declutter.Options(articles_only=False))

    class Broken:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise IndexError("the detector's own bug")

    monkeypatch.setattr(bs4.dammit, "EncodingDetector", Broken)
    with pytest.raises(IndexError):
        declutter.clean(page, options=declutter.Options(articles_only=False))
    monkeypatch.undo()
    assert declutter.clean(page, options=declutter.Options(articles_only=False)) == reference
