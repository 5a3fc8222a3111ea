"""A page's output, shaped and written: one place for the command line and bulk runs.

Both print or store the same records in the same formats, and both replace
files only whole, so the rendering and the atomic write live here once.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
from typing import Any

from declutter._formats.render import render_comments_text
from declutter._model.article import Article
from declutter._model.block import Comment
from declutter.bulk.sinks.paths import TEMP_PREFIX

_counter = itertools.count()

#: Flags of a temporary file: created here and now (never an existing file, never
#: through a symlink), not inherited by worker processes.
_TEMP_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
               | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))


def article_record(article: Article, *, fmt: str = "text", explain: bool = False) -> dict[str, Any]:
    """The JSON-ready record of an extracted article, shaped for ``fmt``.

    Always: ``url``, the metadata fields, ``is_article``, ``confidence``,
    ``fallback`` and the plain ``text``; ``comments`` with ``keep_comments``. Added for
    ``fmt="markdown"`` / ``"html"`` / ``"xml"`` / ``"tei"``: the document in that format;
    for ``fmt="json"``: ``blocks``; with
    ``explain``: ``removed``, one entry per removed element and why.
    """
    data = article.to_dict()
    record: dict[str, Any] = {"url": data.pop("url")}
    blocks = data.pop("blocks")
    removed = data.pop("removed")
    text = data.pop("text")
    comments = data.pop("comments")
    record.update(data)
    record["text"] = text
    if comments is not None:  # asked for (keep_comments): a list, empty or not
        record["comments"] = comments
    if fmt == "markdown":
        record["markdown"] = article.to_markdown()
    elif fmt == "html":
        record["html"] = article.to_html()
    elif fmt == "xml":
        record["xml"] = article.to_xml(explain=explain)
    elif fmt == "tei":
        record["tei"] = article.to_tei()
    elif fmt == "json":
        record["blocks"] = blocks
    if explain:
        record["removed"] = removed
    return record


def render_output(record: dict[str, Any], fmt: str, *, one_line: bool = False,
                  empty_without_text: bool = False) -> str:
    """The content of one output in ``fmt``, from a page record.

    JSON is indented unless ``one_line`` (one object per line, as the command
    prints several pages). With ``empty_without_text`` a page without article
    text renders as nothing: the command prints nothing for it and says why on
    standard error, while a bulk output keeps the title-only Markdown or HTML
    document, so that every page has its file.
    """
    if fmt == "json":
        return json.dumps(record, ensure_ascii=False, indent=None if one_line else 2) + "\n"
    body = record.get("text" if fmt == "text" else fmt) or ""
    if empty_without_text and not record.get("text"):
        body = ""
    elif fmt == "text" and record.get("comments"):  # the others have them in their own way
        comments = render_comments_text([Comment(**item) for item in record["comments"]])
        body = f"{body}\n\n{comments}" if body else comments
    return body + "\n" if body and not body.endswith("\n") else body


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` to ``fd`` (``os.write`` may write only part)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def write_atomically(path: str | os.PathLike[str], data: bytes, *,
                     dir_fd: int | None = None) -> None:
    """Replace ``path`` in one step, so a reader never sees half of it.

    ``data`` goes to a temporary file (named with :data:`TEMP_PREFIX`, so a
    run that finds one knows it is debris) in the same folder, which is then
    renamed over ``path``. With ``dir_fd``, ``path`` is a name in that open
    folder, so no symlink swapped in above it can redirect the write.
    """
    folder, _name = os.path.split(os.fspath(path))
    temporary = os.path.join(folder, f"{TEMP_PREFIX}{os.getpid()}-{next(_counter)}")
    # The open is inside the try: a signal handler (SIGTERM, Ctrl-C) can raise the
    # moment it returns, and the temporary must not be left behind then either.
    try:
        fd = os.open(temporary, _TEMP_FLAGS, 0o666, dir_fd=dir_fd)
        try:
            write_all(fd, data)
        finally:
            os.close(fd)
        os.replace(temporary, path, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary, dir_fd=dir_fd)
        raise
