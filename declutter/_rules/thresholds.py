"""Every number the extraction decides by, in one table, grouped by the stage that reads it.

A threshold beside the code that uses it is easy to read once and hard to keep
consistent: the same 150 characters of "a long paragraph" ended up under three
names in three stages. Here each value stands once, with a line on what it
measures and why it has that value, and the stages import it by name. Values
were chosen on the fit part of the development sets and kept only when the
check part agreed (``docs/benchmark.md``).

Limits of the bulk machinery and the defaults of :class:`~declutter.Options`
are not thresholds of the extraction and live with their code.
"""

from __future__ import annotations

# --------------------------------------------------------------------------- decode
# Bytes to text: how much of a page is read to sniff its encoding, and when its
# characters say it was never text.

#: Share of a page's characters that are control characters (other than white space and
#: NUL) or U+FFFD, above which the input was never text: random or compressed bytes
#: decoded in any single-byte encoding have about 12%, in a multi-byte one more
#: (replacement characters). Real pages have 0.08% at most (2,270 pages of five
#: benchmark sets), a page salted with controls on purpose (the output-safety test) 1.8%.
NEVER_TEXT_SHARE = 0.05
#: Fewer such characters than this are stripped, never a reason to refuse: a short input
#: with a stray control or two is a page with stray controls, not binary data.
NEVER_TEXT_MIN = 16
#: How much of a page encoding detection reads: detectors are slow (seconds per MB).
DETECT_SAMPLE = 16 * 1024
#: The head of a page that is read for a charset declaration and for binary content: where
#: browsers look for <meta charset> (the HTML standard's prescan reads 1,024 bytes; pages
#: with long heads put it later, so a few times that).
HEAD_BYTES = 4096

# --------------------------------------------------------------------------- compression
# Compressed pages (gzip, zstd, Brotli, ZIP ...) unpacked before decoding.

#: Layers of compression unpacked at most (a gzip inside a ZIP, say). Real pages have
#: one, rarely two; a bound keeps a file compressed a thousand times from looping.
MAX_LAYERS = 3
#: Bytes of a page's head judged for "not text" before a Brotli trial decode: enough
#: for a share to mean something, small enough to cost nothing on every page.
SNIFF_BYTES = 4096
#: Control bytes (other than white space) in a head of bytes above which it is not text.
#: Real pages have none or a handful (0.08% at most over 2,270 pages of five benchmark
#: sets); random and compressed bytes have about 11%. Between the two, so a page with a
#: few stray controls is never sent to a decoder, and compressed data always is.
BINARY_CONTROL_SHARE = 0.05

# --------------------------------------------------------------------------- parse
# The tree: bounds that keep hostile markup from costing minutes or the recursion
# limit, and the repairs of markup that swallowed the page.

#: No element of a parsed page is deeper than this (libxml2's own default limit),
#: so the stages that walk the tree recursively stay far from Python's recursion limit.
MAX_DEPTH = 256
#: Depth at which the flattener stops opening elements; the margin covers elements
#: the parser adds by itself (html, body, an implied p) and rules it applies that the
#: flattener's simple stack does not know.
FLAT_DEPTH = 200
#: Inline elements stop opening earlier, leaving room for the paragraphs that
#: ``<b>`` or ``<span>`` nested thousands deep may still hold.
INLINE_HEADROOM = 40
#: Levels beyond the depth cap at which the child of a container (li, td, option), where
#: the container's text lives, may still open.
CONTAINER_ROOM = 8
#: A <title> longer than this that holds markup was never closed: the parser read the rest
#: of the page as its text (a truncated "</tit", a title written by a script).
RUNAWAY_TITLE = 1000
#: A <noscript> or <button> holding more text than this may be wrapped around the page by
#: accident.
STRAY_TEXT = 500
#: libxml2 compares each attribute of a tag with all the ones before it, so a tag with
#: 40,000 attributes takes 40 s to parse. Real elements have a few dozen at most.
MAX_ATTRIBUTES = 64
#: A quoted value with "<" or ">" can hide a long tag from the long-tag search (``_LONG_RE``
#: in ``parse``), but only a
#: tag of thousands of attributes costs libxml2 real time, and that many attribute values
#: means as many "=": below this count (most pages have one or two thousand) the slower
#: search for such values is skipped.
MANY_VALUES = 4000

# --------------------------------------------------------------------------- prune
# Chrome by its markup, and the texts that vote for the article; the tests that
# spare a chrome-named wrapper holding the article.

#: List items and headings vote less than paragraphs: teaser lists are made of them.
VOTE_WEIGHT = {"li": 0.5, "h2": 0.5, "h3": 0.5, "h4": 0.5, "dd": 0.7}
#: A paragraph this long is prose, not a teaser or a label: it counts towards sparing a
#: chrome-named wrapper as the article's, towards an article verdict, and as prose left
#: out of the region when the confidence is weighed.
LONG_PARAGRAPH = 150
#: Long paragraphs that make a page an article whatever else it holds, and a chrome-named
#: wrapper that holds them the article's.
ARTICLE_PARAGRAPHS = 3
#: Paragraph text that makes a chrome-named wrapper an article's, however few the <p>s.
STORY_CHARS = 2000
#: Prose (characters outside links) below which an element is never taken for the page's
#: layout wrapper by its share alone: a page this short has no layout to speak of.
WRAPPER_PROSE = 800
#: Share of the page's prose that makes a chrome-named element a wrapper of the page.
WRAPPER_SHARE = 0.5
#: Text that makes a container named for the body an article's (see ``thorough``).
BODY_TEXT = 500
#: A text cut short ("...") is a teaser for another page, not part of this one: its vote
#: counts this much.
TRUNCATED_WEIGHT = 0.3
#: A teaser card is small: a picture, a headline, a blurb, a date. A container with more
#: children is a body, whose linked sub-heading does not make its paragraphs teasers.
CARD_CHILDREN = 5
#: A teaser's blurb is a sentence or two; an item of a list article says more.
TEASER_BLURB = 250
#: A teaser card holds little more than its headline and blurb: an <article> or list item
#: with less text than this, whose headline links away, is a teaser for another page.
TEASER_CARD_TEXT = 600
#: Figures side by side that make a slideshow, and the caption text that makes a slide's
#: caption the story's own text (a gallery told in its captions).
SLIDESHOW_FIGURES = 3
SLIDE_TEXT = 100
#: An id of this many words or more, all standing in order in the element's own text, is
#: a slug of that text (an anchor for a heading), whatever words it happens to contain.
#: Ids of three words are as often role names ("more-on-this", "mehr-zum-thema") as slugs.
SLUG_WORDS = 4
#: Characters of an element's text a slug is looked for in: a heading's, with room.
SLUG_TEXT = 400
#: A paragraph with more of its text in links than this is a menu's or a card's blurb, no
#: prose: it casts no vote, spares no wrapper, and is no standfirst.
MAX_LINK_DENSITY = 0.5

# --------------------------------------------------------------------------- locate
# The votes of paragraphs for their ancestors, and how the chosen element is widened
# to the whole story.

#: A paragraph's vote: a base for being a paragraph at all, plus a point per 100 characters
#: up to 800 (a very long paragraph is no surer a sign than a long one).
VOTE_BASE = 0.5
VOTE_CAP = 800
VOTE_UNIT = 100.0
#: How much of a paragraph's vote reaches each ancestor level.
VOTE_DECAY = (1.0, 0.5, 0.3, 0.2, 0.1)
#: Texts shorter than this cast no vote and count for no paragraph text of the page.
MIN_PARAGRAPH = 25
#: Candidates (by raw votes) the page's own hints are weighed on: the best is among them.
RANKED_CANDIDATES = 12
#: A second strong candidate (this share of the best score) within this many levels of the
#: best one is another chunk of the same body: the region becomes their common ancestor.
CHUNK_SHARE = 0.25
CHUNK_LEVELS = 5
CHUNK_MIN = 2.5
#: Levels above the body at which a lead with paragraphs of its own may stand.
LEAD_LEVELS = 3
#: Votes a sibling with the body's own tag and class needs to join it.
TWIN_MIN = 1.0
#: JSON-LD articleBody confirms the region by its first and last words.
DECLARED_MIN_WORDS = 60
DECLARED_PROBE = 8
#: How far above the chosen element the locator looks for more of the same story: page
#: builders nest each section of a body a dozen wrappers deep.
GROW_LEVELS = 12
#: Link text the wider element may add, as a share of the prose it adds: more, and what
#: it adds is a list of teasers or links, not more of the story.
GROW_MAX_LINKS = 0.25
#: A text whose vote weighs less than this (a teaser cut short) counts as link text.
PROSE_WEIGHT = 0.5
#: Prose the wider element must add (characters) to be worth taking.
GROW_MIN_PROSE = 200
#: A short <article> (under TEASER_CARD_TEXT) is a teaser card when at least this share of
#: its text is link text: its headline links away.
TEASER_MIN_LINKS = 0.2
#: Teaser cards that make a section a list of other stories.
TEASER_LIST = 2
#: Prose a section beside the body needs to join it: less is a caption, a breadcrumb or a
#: view count, which sit between a page's sections as often as text does.
SECTION_MIN_PROSE = 80
#: A picture with less text than this beside it is a figure, the text its caption.
FIGURE_MAX_TEXT = 300
#: How much the page's own hints weigh a candidate's votes: schema.org's articleBody is
#: the surest, a body-like class name next, <article> a little (many pages use it for
#: teasers too); the whole page and a list of stories are rarely the article.
PRIOR_ARTICLE_BODY = 1.6
PRIOR_BODY_NAME = 1.25
PRIOR_ARTICLE_TAG = 1.1
PRIOR_WHOLE_PAGE = 0.7
PRIOR_LISTING = 0.5
#: <article>s inside one element that make it a list of stories.
LISTING_ARTICLES = 2
#: A sibling of the body joins it with this share of its votes (and at least the minimum),
#: or with a paragraph of its own of this many characters and few links.
SIBLING_SHARE = 0.2
SIBLING_MIN = 3.0
SIBLING_TEXT = 80
SIBLING_LINKS = 0.25
#: A standfirst is a sentence or two: longer text before the body is a story of its own.
STANDFIRST_MAX = 600
STANDFIRST_MIN = 20
#: Texts compared with the declared description for the standfirst: from this share of its
#: length to this multiple, each widened by the slack in characters. A cheap filter that
#: spares normalising every paragraph of the page; the comparison itself is exact.
DESCRIPTION_SHORTER = 0.8
DESCRIPTION_LONGER = 1.25
DESCRIPTION_SLACK = 10

# --------------------------------------------------------------------------- segment
# Layout: which tables are data rather than page layout.

#: A cell holding paragraphs or <div>s and more text than this is a column of a layout
#: table, not a datum.
LAYOUT_CELL_TEXT = 200
#: Columns (cells in the widest row) a table of data has at least: one column is layout.
DATA_TABLE_COLUMNS = 2

# --------------------------------------------------------------------------- filter
# Each block of the region judged by its text and links.

#: One text that holds another is "the same" when the shorter is this share of the longer:
#: a headline with or without its site name, a dek with or without a final clause.
SAME_TEXT_SHARE = 0.8
#: Blocks longer than these are never taken for the headline repeated, a label opening a
#: short block, or a caption: they are paragraphs that happen to start alike.
TITLE_REPEAT_CHARS = 300
PREFIX_LABEL_CHARS = 300
CAPTION_CHARS = 250
#: An unlinked related-links opening ("More from ...") is a label only in a line this short.
UNLINKED_LABEL_CHARS = 160
#: Link share from which a related-links opening is a label whatever its length.
LABEL_LINK_SHARE = 0.4
#: A credit line: at most this many characters and words ("Photo: Jane Doe / AP").
CREDIT_CHARS = 60
CREDIT_WORDS = 6
#: Bylines and datelines are short lines: a longer one is a sentence that mentions a name
#: or a date.
BYLINE_CHARS = 120
BYLINE_NAME_WORDS = 12
#: A paragraph or heading of less text than this, nearly all of it a link, is a headline
#: link to another story.
LINK_PARAGRAPH_CHARS = 200
LINK_PARAGRAPH_SHARE = 0.8
#: A web address alone on a line is never longer than this.
URL_LINE_CHARS = 2048
#: A block this long is a body paragraph: the standfirst, if any, came before it.
BODY_STARTED_CHARS = 200
#: An element goes on with the body when its text exceeds this many times the lead's plus
#: the margin: the lead is then a part of it, not all of it.
LEAD_TIMES = 2
LEAD_MARGIN_CHARS = 200
#: A label spreads to the blocks of its box when the box is small: at most this much text
#: and this many blocks, and a block within this many levels of the box.
BOX_TEXT = 400
BOX_BLOCKS = 6
BOX_DEPTH = 6
#: A list is a list of links when every item is mostly a link (this share of its text)
#: and links make this share of the list's text.
LINKED_ITEM_SHARE = 0.6
LINK_LIST_SHARE = 0.7
#: Longest block the line patterns (copyright, credits, counters) test: longer text is a
#: paragraph that mentions them.
LINE_PATTERN_CHARS = 200

# --------------------------------------------------------------------------- verdict
# One article, or a page of another kind?

#: Less text than this is not an article, whatever the page says.
MIN_ARTICLE_CHARS = 80
#: Characters of long paragraphs that make text only the fallback found an article's.
FALLBACK_PROSE = 1000
#: An error headline ("404", "Page not found") over less text than this is an error page.
ERROR_PAGE_CHARS = 1500
#: Teasers that, outnumbering the prose, make a listing.
LISTING_TEASERS = 4
#: A dropped headline link shorter than this is a "more" link, not a teaser.
TEASER_CHARS = 20
#: One paragraph this long, holding at least DOMINANT_SHARE of the text kept, is a story
#: told in one block (old layouts, wire portals): no teaser count makes it a listing,
#: whose summaries are a sentence or two each.
DOMINANT_CHARS = 700
DOMINANT_SHARE = 0.5
#: Long paragraphs that make a page declared a product an article about it (a guide, a
#: write-up, a software maker's page of prose) rather than a shop's description.
PRODUCT_PROSE = 5

# --------------------------------------------------------------------------- confidence
# How sure the locator is; below FALLBACK_BELOW a second opinion is asked.

#: Kept text (characters) from which the amount alone no longer lowers the confidence.
ENOUGH_TEXT = 500
#: Share of the page's paragraph text from which the share alone no longer lowers it.
ENOUGH_SHARE = 0.5
#: Part of the confidence the share of the page's paragraph text decides (the rest stands
#: whatever the share): a story beside long comments or a long sidebar is still found.
SHARE_WEIGHT = 0.5
#: Prose left out of the region is a run of long paragraphs (LONG_PARAGRAPH) with at most
#: this share of their text in links.
PROSE_LINKS = 0.2
#: Text (characters) beyond which an extraction is more often several things than one
#: story (a thread, a list of entries, a page of documents): past it, the confidence
#: falls with the square root of the excess.
ONE_STORY_CHARS = 15000

# --------------------------------------------------------------------------- second opinion
# When trafilatura is asked, and when its answer replaces ours.

#: Below this confidence the rules are loosened for a second pass of our own, and then
#: the trafilatura fallback is asked for a second opinion.
FALLBACK_BELOW = 0.35
#: The fallback's text replaces ours only when it is this many times longer.
RESCUE_FACTOR = 1.5

# --------------------------------------------------------------------------- live blogs

#: A time line longer than this is no stamp ("10:42 BST", "Tuesday 14 October, 9:05am").
MAX_TIME_CHARS = 60
#: Sibling entries, each with a time of its own, that make a live blog by their shape
#: when the page does not declare one: fewer is a story with a dated update or two.
LIVE_ENTRIES = 4

# --------------------------------------------------------------------------- metadata

#: Without a declared site name, a title's last part shorter than this after a first part
#: longer than this is the site's name ("A long headline here | Example News").
SITE_NAME_CHARS = 30
#: JSON-LD objects read from a page at most: a page declaring more is a catalogue, and a
#: bound keeps a graph of millions from costing seconds.
JSONLD_OBJECTS = 200
#: An author's name is shorter than this: a longer "name" is a bio or a sentence.
AUTHOR_NAME_CHARS = 80

# --------------------------------------------------------------------------- removal records

#: Characters of an element's text a record quotes.
EXCERPT_CHARS = 100
#: Text read from an element to make its excerpt, as a multiple of EXCERPT_CHARS: enough
#: after whitespace is collapsed, without reading a whole page's text for one record.
READ_AHEAD = 4
#: An element outside the article holding this much text or less may be a story's header
#: (headline, byline, date, share buttons): its parts are recorded one by one when one of
#: them is the headline or a dateline. Longer elements are rails and footers, one record.
HEADER_CHARS = 400

# --------------------------------------------------------------------------- site memory
# Boilerplate learned across a crawl's pages of one site (``declutter learn``) and the
# guard that keeps a learned line from ever taking an article with it.

#: A site needs this many article pages before anything is learned of it: on fewer, a
#: line shared by two stories (a quote, a correction notice) looks like a template's.
LEARN_MIN_PAGES = 5
#: A block text is the site's when it is kept on at least this share of its article
#: pages: a tagline or a "support our journalism" line is on most of them, a quote or a
#: recurring sentence of one story series on a few.
LEARN_MIN_SHARE = 0.3
#: ... and on at least this many pages, whatever the share: on a small site 30% is two
#: pages, which a follow-up story repeating a sentence of the first can reach.
LEARN_MIN_COUNT = 3
#: A learned repeated text is not removed when it holds this share of the article's
#: kept text or more: then it is the article (a page whose body is the repeated line, a
#: story republished whole), and removing it would leave the page empty or a fragment.
REPEATED_MOST_OF_ARTICLE = 0.5
