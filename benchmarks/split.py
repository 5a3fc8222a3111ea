"""The fit and the check part of every dev set, split by site.

A rule found while looking at one page tends to fit that page's site and its
neighbours in the same set. So every set is split once, by a fixed rule that
depends on nothing but the site's name: about two thirds of the sites form
the *fit* part, where failures are studied, and the rest the *check* part,
which is only ever scored. A change is kept when the check part agrees; the
gap between the two parts is the overfitting being measured.

All pages of one site land in the same part (several AEB and Readability
pages come from one newspaper), because a site's template is what a rule
learns.
"""

from __future__ import annotations

import hashlib
import re
from typing import Literal
from urllib.parse import urlsplit

Part = Literal["fit", "check"]
PARTS: tuple[Part, ...] = ("fit", "check")

#: One site in this many goes to the check part (a third: enough pages to disagree with).
CHECK_ONE_IN = 3

#: Second-level labels under which a registry sells names (example.co.uk, example.com.br).
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "gov", "ac", "edu", "or", "ne", "go"})
#: Top-level domains that end the host in a page's file name ("dw.com.colonial.html").
_TLDS = frozenset(
    "com org net info edu gov io co biz me tv eu de at ch uk fr it es nl be pl cz dk se no fi "
    "pt br ar cl mx hn us ca au nz in jp cn ru ua hu ro gr tr ie lu li media news blog".split()
)
_LABEL = re.compile(r"[a-z0-9-]+")


def site_of(address: str) -> str:
    """The registrable name of a page's host: ``www.bbc.co.uk`` -> ``bbc.co.uk``.

    Takes a URL, or a file name that starts with a host ("dw.com.colonial.html",
    "hard::stluciatimes.com-dea.html"); anything else is its own site.
    """
    host = ""
    if "://" in address:
        try:
            host = urlsplit(address).hostname or ""
        except ValueError:
            host = ""
    else:
        host = _host_in_name(address.lower().removeprefix("hard::"))
    labels = [label for label in host.lower().rstrip(".").split(".") if label]
    if len(labels) < 2:
        return address
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-keep:])


def _host_in_name(name: str) -> str:
    """The host a file name starts with: labels up to the first top-level domain, which
    ends the name's first part or is followed by a dash ("elheraldo.hn-joh.html")."""
    labels = name.split(".")
    for index in range(1, len(labels)):
        head = labels[index].split("-", 1)[0]
        if head in _TLDS and all(_LABEL.fullmatch(label) for label in labels[:index]):
            return ".".join([*labels[:index], head])
    return ""


def part_of(site: str) -> Part:
    """Fit or check, from a hash of the site's name: fixed across runs and machines."""
    digest = hashlib.sha256(site.encode("utf-8")).digest()
    return "check" if int.from_bytes(digest[:4], "big") % CHECK_ONE_IN == 0 else "fit"
