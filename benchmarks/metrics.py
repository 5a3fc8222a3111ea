"""The quality metrics, exactly as ``../shared/bench/README.md`` defines them.

Keeping them byte-for-byte faithful to the published definitions is the
point: our figures are only comparable with the README's (and with the
original benchmarks') if tokens, shingles and averaging are the same. The
paragraph and leaked-line metrics are our own additions; they look at what
the shingle metric cannot see (paragraph boundaries, short boilerplate lines).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .boilerplate import boilerplate_category

_TOKEN = re.compile(r"\w+")
_WS = re.compile(r"\s+")
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")

Shingle = tuple[str, ...]


def normalize_ws(text: str) -> str:
    """Runs of whitespace become one space, ends trimmed."""
    return _WS.sub(" ", text).strip()


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def f1_of(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


# --------------------------------------------------------------------------- AEB shingles


def tokens(text: str) -> list[str]:
    """``\\w+`` matches with Python's Unicode semantics; case is kept."""
    return _TOKEN.findall(text)


def shingles(text: str, n: int = 4) -> Counter[Shingle]:
    """The multiset of token n-grams; a text shorter than n tokens is one shingle of all."""
    toks = tokens(text)
    if not toks:
        return Counter()
    if len(toks) < n:
        return Counter([tuple(toks)])
    return Counter(tuple(toks[i : i + n]) for i in range(len(toks) - n + 1))


@dataclass(frozen=True)
class ShingleScore:
    """One page's tp, fp, fn, normalised to sum to 1 (all 0 when both texts lack tokens)."""

    tp: float
    fp: float
    fn: float

    @property
    def precision(self) -> float | None:
        """None when the output has no shingle: such a page is left out of P."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp > 0 else None

    @property
    def recall(self) -> float | None:
        """None when the reference has no shingle: such a page is left out of R."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn > 0 else None

    @property
    def f1(self) -> float:
        """This page's own F1 (for sorting pages worst-first, not for the totals)."""
        return f1_of(self.precision or 0.0, self.recall or 0.0)


def shingle_score(reference: str, output: str) -> ShingleScore:
    """Multiset intersection of the reference's and the output's shingles."""
    ref, out = shingles(reference), shingles(output)
    tp = sum((ref & out).values())
    fp = sum(out.values()) - tp
    fn = sum(ref.values()) - tp
    total = tp + fp + fn
    if total == 0:
        return ShingleScore(0.0, 0.0, 0.0)
    return ShingleScore(tp / total, fp / total, fn / total)


@dataclass(frozen=True)
class PRF:
    precision: float
    recall: float
    f1: float


def aggregate_shingles(scores: Iterable[ShingleScore]) -> PRF:
    """P and R are means over the pages where they are defined; F1 is taken of the means."""
    scores = list(scores)
    precision = mean([p for s in scores if (p := s.precision) is not None])
    recall = mean([r for s in scores if (r := s.recall) is not None])
    return PRF(precision, recall, f1_of(precision, recall))


# --------------------------------------------------------------------------- snippets


@dataclass(frozen=True)
class SnippetScore:
    """Counts of one page (or pooled over pages) for trafilatura's snippet metric."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def __add__(self, other: SnippetScore) -> SnippetScore:
        return SnippetScore(
            self.tp + other.tp, self.fp + other.fp, self.fn + other.fn, self.tn + other.tn
        )

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        denominator = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denominator if denominator else 0.0

    @property
    def accuracy(self) -> float:
        total = self.tp + self.fp + self.fn + self.tn
        return (self.tp + self.tn) / total if total else 0.0


def snippet_score(output: str, with_: Iterable[str], without: Iterable[str]) -> SnippetScore:
    """Case-sensitive substring tests after whitespace normalisation of both sides."""
    text = normalize_ws(output)
    found_with = [normalize_ws(s) in text for s in with_]
    found_without = [normalize_ws(s) in text for s in without]
    return SnippetScore(
        tp=sum(found_with),
        fn=len(found_with) - sum(found_with),
        fp=sum(found_without),
        tn=len(found_without) - sum(found_without),
    )


def pool_snippets(scores: Iterable[SnippetScore]) -> SnippetScore:
    """Counts are summed over pages, not averaged, as in trafilatura's evaluate.py."""
    total = SnippetScore()
    for score in scores:
        total = total + score
    return total


# --------------------------------------------------------------------------- paragraphs


def split_paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs, whitespace-normalised, empty ones dropped."""
    return [p for p in (normalize_ws(part) for part in _BLANK_LINE.split(text)) if p]


def split_lines(text: str) -> list[str]:
    """Newline separated lines, whitespace-normalised, empty ones dropped.

    AEB's references separate paragraphs by one or two newlines, so a line is
    the only paragraph unit that works for all of them.
    """
    return [p for p in (normalize_ws(line) for line in text.splitlines()) if p]


@dataclass(frozen=True)
class ParagraphScore:
    matched: int
    output: int
    reference: int

    @property
    def precision(self) -> float | None:
        return self.matched / self.output if self.output else None

    @property
    def recall(self) -> float | None:
        return self.matched / self.reference if self.reference else None


def paragraph_score(
    output_paragraphs: Sequence[str], ref_paragraphs: Sequence[str]
) -> ParagraphScore:
    """Paragraphs equal after normalisation match, each at most as often as it occurs."""
    matched = sum((Counter(output_paragraphs) & Counter(ref_paragraphs)).values())
    return ParagraphScore(matched, len(output_paragraphs), len(ref_paragraphs))


def aggregate_paragraphs(scores: Iterable[ParagraphScore]) -> tuple[float, float]:
    """Mean P over pages with output paragraphs, mean R over pages with reference ones."""
    scores = list(scores)
    precision = mean([p for s in scores if (p := s.precision) is not None])
    recall = mean([r for s in scores if (r := s.recall) is not None])
    return precision, recall


# --------------------------------------------------------------------------- leaked lines


def leaked_lines(output: str, reference: str) -> list[tuple[str, str]]:
    """Output lines that look like boilerplate and are not part of the reference.

    Returns (category, line) pairs. The reference check keeps the count
    honest: a "Share" or "By Jane Doe" line the annotators kept is content.
    """
    normalized_reference = normalize_ws(reference)
    leaks = []
    for line in output.splitlines():
        line = normalize_ws(line)
        if not line:
            continue
        category = boilerplate_category(line)
        if category and not _occurs(line, normalized_reference):
            leaks.append((category, line))
    return leaks


def _occurs(needle: str, haystack: str) -> bool:
    """``needle`` in ``haystack`` as whole words: "Share" is not found in "Shareholders"."""
    return re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack) is not None


# --------------------------------------------------------------------------- WCXB words

_LOWER_TOKEN = re.compile(r"\w+")


@dataclass(frozen=True)
class WordScore:
    """One page under WCXB's word metric, with the shares of its snippets found
    (None when the page has no snippet of that kind)."""

    precision: float
    recall: float
    f1: float
    with_found: float | None = None
    without_found: float | None = None


def word_score(
    reference: str, output: str, with_: Sequence[str] = (), without: Sequence[str] = ()
) -> WordScore:
    """Bag-of-words overlap of lower-cased ``\\w+`` tokens; snippets as case-insensitive
    substrings (whitespace normalised on both sides)."""
    ref = Counter(_LOWER_TOKEN.findall(reference.lower()))
    out = Counter(_LOWER_TOKEN.findall(output.lower()))
    out_total, ref_total = sum(out.values()), sum(ref.values())
    if not out_total:
        precision = recall = f1 = 1.0 if not ref_total else 0.0
    else:
        overlap = sum((ref & out).values())
        precision = overlap / out_total
        recall = overlap / ref_total if ref_total else 0.0
        f1 = f1_of(precision, recall)
    text = normalize_ws(output).casefold()

    def share(snippets: Sequence[str]) -> float | None:
        if not snippets:
            return None
        return sum(normalize_ws(s).casefold() in text for s in snippets) / len(snippets)

    return WordScore(precision, recall, f1, share(with_), share(without))


@dataclass(frozen=True)
class WordFigures:
    precision: float
    recall: float
    f1: float
    with_found: float
    without_found: float


def aggregate_words(scores: Iterable[WordScore]) -> WordFigures:
    """Every figure is a mean over pages (F1 too, unlike the AEB metric); the snippet
    shares over the pages that have snippets of their kind."""
    scores = list(scores)
    return WordFigures(
        mean([s.precision for s in scores]),
        mean([s.recall for s in scores]),
        mean([s.f1 for s in scores]),
        mean([s.with_found for s in scores if s.with_found is not None]),
        mean([s.without_found for s in scores if s.without_found is not None]),
    )


# --------------------------------------------------------------------------- failure classes

#: From worst to best, as the bench README defines them.
FAILURE_CLASSES = ("empty", "wrong", "partial", "over-inclusive", "mixed", "near", "good")
#: The classes a user loses the page in.
LOST_CLASSES = frozenset({"empty", "wrong"})
#: Lost pages are counted among pages whose reference has at least this many tokens: a few
#: Readability test pages are synthetic snippets of a few words.
LOST_MIN_TOKENS = 50


def failure_class(precision: float | None, recall: float | None, empty: bool) -> str:
    """A page's class from its own P and R (None where undefined, as for an empty output)."""
    if empty:
        return "empty"
    p, r = precision or 0.0, recall or 0.0
    f1 = f1_of(p, r)
    if f1 < 0.3:
        return "wrong"
    if r < 0.8 <= p:
        return "partial"
    if p < 0.8 <= r:
        return "over-inclusive"
    if f1 < 0.9:
        return "mixed"
    return "near" if f1 < 0.97 else "good"


def roc_auc(scores: Sequence[float], positive: Sequence[bool]) -> float | None:
    """The probability that a positive page scores above a negative one (ties count half);
    None when either class is absent. Rank-based (Mann-Whitney), no dependency."""
    pairs = sorted(zip(scores, positive, strict=True), key=lambda pair: pair[0])
    n_pos = sum(positive)
    n_neg = len(pairs) - n_pos
    if not n_pos or not n_neg:
        return None
    rank_sum = 0.0
    index = 0
    while index < len(pairs):
        end = index
        while end + 1 < len(pairs) and pairs[end + 1][0] == pairs[index][0]:
            end += 1
        mean_rank = (index + end) / 2 + 1
        rank_sum += mean_rank * sum(1 for k in range(index, end + 1) if pairs[k][1])
        index = end + 1
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
