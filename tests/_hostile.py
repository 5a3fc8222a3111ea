"""Hostile pages for the explain report: every way a page tries to run code or fetch.

Each page is a readable news article (so declutter keeps a body and removes
some chrome) salted with script, event handlers, ``javascript:`` URLs and
external resources. Any code that runs sets ``window.__pwned``; every
resource points at 127.0.0.1 port 9 (discard), so a request that slipped
through would show in the browser's network log without reaching anything.
"""

from __future__ import annotations

from html import escape

EVIL = "http://127.0.0.1:9"

PARAGRAPHS = (
    "The city council voted on Tuesday to rebuild the old harbour wall, ending a debate "
    "that had lasted for more than three years and divided the fishing community.",
    "Engineers said the new wall would be two metres higher than the current one and "
    "would protect the lower town from the storm surges that flooded it twice last winter.",
    "Work is expected to start in the spring and to take about eighteen months, during "
    "which the ferry to the islands will leave from a temporary pier on the north side.",
    "Residents who attended the meeting said they were relieved, although several asked "
    "why the cost had risen by a third since the plan was first presented in 2021.",
)


def _p(index: int, attributes: str = "") -> str:
    return f"<p{attributes}>{escape(PARAGRAPHS[index])}</p>"


def _article(*parts: str, head: str = "", body_attributes: str = "") -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>Harbour wall to be rebuilt</title>" + head + "</head>"
        f"<body{body_attributes}><header class=\"site-header\"><nav><a href=\"/\">Home</a> "
        "<a href=\"/news\">News</a></nav></header><main><article>"
        "<h1>Harbour wall to be rebuilt</h1>" + "\n".join(parts) + "</article>"
        "<aside class=\"sidebar\"><h3>Most read</h3><ul><li><a href=\"/a\">Other story</a></li>"
        "</ul></aside></main><footer>Copyright The Harbour Ledger</footer></body></html>"
    )


SCRIPTS = _article(
    _p(0),
    "<script>window.__pwned = 'inline script'</script>",
    "<SCRIPT type=\"text/javascript\">window.__pwned = 'upper-case script'</SCRIPT>",
    f"<script src=\"{EVIL}/s.js\"></script>",
    "<script type=\"module\">window.__pwned = 'module'</script>",
    _p(1),
    "<svg><script>window.__pwned = 'svg script'</script><circle r=\"4\"/></svg>",
    "<math><mtext><script>window.__pwned = 'math script'</script></mtext></math>",
    "<template><script>window.__pwned = 'template'</script></template>",
    f"<noscript><img src=\"{EVIL}/noscript.png\"></noscript>",
    "<textarea><script>window.__pwned = 'textarea'</script></textarea>",
    "<xmp><script>window.__pwned = 'xmp'</script></xmp>",
    "<iframe srcdoc=\"&lt;script&gt;parent.__pwned = 'srcdoc'&lt;/script&gt;\"></iframe>",
    _p(2),
    "<p>Written as text, not markup: &lt;script&gt;window.__pwned = 'text'&lt;/script&gt; "
    "and &lt;img src=x onerror=window.__pwned=1&gt; must stay visible text.</p>",
    _p(3),
    head="<script>window.__pwned = 'head script'</script>"
    f"<script src=\"{EVIL}/head.js\" async></script>",
)

HANDLERS = _article(
    _p(0, " onclick=\"window.__pwned = 'onclick'\" onmouseover=\"window.__pwned = 'over'\""),
    "<img src=\"x\" onerror=\"window.__pwned = 'onerror'\" alt=\"broken on purpose\">",
    "<svg onload=\"window.__pwned = 'svg onload'\"><rect width=\"4\" height=\"4\"/></svg>",
    "<details open ontoggle=\"window.__pwned = 'ontoggle'\"><summary>More</summary>"
    "Hidden details text</details>",
    _p(1, " ONFOCUS=\"window.__pwned = 'focus'\" tabindex=\"0\" autofocus"),
    "<input autofocus onfocus=\"window.__pwned = 'input focus'\" value=\"x\">",
    "<marquee onstart=\"window.__pwned = 'marquee'\">Breaking news ticker</marquee>",
    "<div class=\"ad\" onanimationstart=\"window.__pwned = 'animation'\" "
    "style=\"animation: x 1s\">Advertisement</div>",
    _p(2, " onpointerenter=\"window.__pwned = 'pointer'\""),
    "<video autoplay onplay=\"window.__pwned = 'video'\" oncanplay=\"window.__pwned = 'can'\">"
    "</video>",
    "<form onsubmit=\"window.__pwned = 'submit'\"><button onclick=\"window.__pwned = 'button'\">"
    "Subscribe</button></form>",
    _p(3),
    body_attributes=" onload=\"window.__pwned = 'body onload'\" "
    "onpageshow=\"window.__pwned = 'pageshow'\"",
)

URLS = _article(
    _p(0),
    "<p><a href=\"javascript:window.__pwned = 'link'\">plain</a> "
    "<a href=\" JaVaScRiPt:window.__pwned = 'mixed case'\">mixed case</a> "
    "<a href=\"&#106;avascript:window.__pwned = 'entity'\">entity</a> "
    "<a href=\"java&#x09;script:window.__pwned = 'tab'\">tab</a> "
    "<a href=\"data:text/html,&lt;script&gt;window.__pwned = 'data'&lt;/script&gt;\">data</a> "
    "<a href=\"vbscript:msgbox(1)\">vbscript</a></p>",
    _p(1),
    "<iframe src=\"javascript:parent.__pwned = 'iframe'\"></iframe>",
    "<form action=\"javascript:window.__pwned = 'action'\"><button "
    "formaction=\"javascript:window.__pwned = 'formaction'\">Go</button></form>",
    "<object data=\"javascript:window.__pwned = 'object'\"></object>",
    "<embed src=\"javascript:window.__pwned = 'embed'\">",
    "<svg><a xlink:href=\"javascript:window.__pwned = 'svg link'\"><text>svg link</text></a>"
    "<animate attributeName=\"href\" to=\"javascript:window.__pwned = 'animate'\"/></svg>",
    "<math><maction actiontype=\"statusline\" "
    "xlink:href=\"javascript:window.__pwned = 'math'\">math</maction></math>",
    _p(2),
    "<div class=\"related\"><a href=\"javascript:void(0)\">Read more</a></div>",
    _p(3),
)

RESOURCES = _article(
    _p(0, f" style=\"background: url('{EVIL}/style.png')\""),
    f"<img src=\"{EVIL}/img.png\" alt=\"The harbour wall at low tide\">",
    f"<img srcset=\"{EVIL}/a.png 1x, {EVIL}/b.png 2x\" alt=\"srcset\">",
    "<img src=\"//127.0.0.1:9/protocol-relative.png\" alt=\"protocol relative\">",
    f"<picture><source srcset=\"{EVIL}/p.webp\" type=\"image/webp\">"
    f"<img src=\"{EVIL}/p.jpg\" alt=\"in a picture\"></picture>",
    f"<figure><img src=\"{EVIL}/fig.jpg\" alt=\"\"><figcaption>The wall in 1950. "
    "Photo: Archive</figcaption></figure>",
    _p(1),
    f"<video src=\"{EVIL}/v.mp4\" poster=\"{EVIL}/poster.png\"><source src=\"{EVIL}/s.mp4\">"
    f"<track src=\"{EVIL}/t.vtt\"></video>",
    f"<audio src=\"{EVIL}/a.mp3\" autoplay></audio>",
    f"<iframe src=\"{EVIL}/frame.html\" title=\"an ad frame\"></iframe>",
    f"<object data=\"{EVIL}/o.swf\" type=\"application/x-shockwave-flash\">"
    f"<param name=\"movie\" value=\"{EVIL}/o.swf\"></object>",
    f"<embed src=\"{EVIL}/e.swf\">",
    f"<svg><image href=\"{EVIL}/i.svg\"/><image xlink:href=\"{EVIL}/x.svg\"/>"
    f"<use href=\"{EVIL}/u.svg#icon\"/><feImage href=\"{EVIL}/f.svg\"/></svg>",
    f"<table background=\"{EVIL}/table.png\"><tr><td background=\"{EVIL}/td.png\">"
    "Tide</td><td>Height</td></tr><tr><td>High</td><td>4.2 m</td></tr></table>",
    _p(2, f" data-src=\"{EVIL}/lazy.png\""),
    f"<form action=\"{EVIL}/submit\" method=\"post\"><input type=\"image\" "
    f"src=\"{EVIL}/button.png\"><input name=\"q\"></form>",
    f"<blockquote cite=\"{EVIL}/cite\">The sea always wins in the end.</blockquote>",
    f"<p><a href=\"{EVIL}/page\" ping=\"{EVIL}/ping\">a tracked link</a></p>",
    f"<div style=\"behavior: url({EVIL}/b.htc); background-image: image-set('{EVIL}/s.png' 1x)\">"
    "styled</div>",
    f"<portal src=\"{EVIL}/portal\"></portal><applet code=\"A\" codebase=\"{EVIL}/\"></applet>",
    _p(3),
    head=f"<base href=\"{EVIL}/\">"
    f"<meta http-equiv=\"refresh\" content=\"0;url={EVIL}/refresh\">"
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src *\">"
    f"<link rel=\"stylesheet\" href=\"{EVIL}/a.css\">"
    f"<link rel=\"preload\" href=\"{EVIL}/p.js\" as=\"script\">"
    f"<link rel=\"prefetch\" href=\"{EVIL}/next.html\">"
    f"<link rel=\"dns-prefetch\" href=\"{EVIL}\">"
    f"<link rel=\"icon\" href=\"{EVIL}/favicon.ico\">"
    f"<style>@import url({EVIL}/i.css); body {{ background: url(\"{EVIL}/b.png\") }} "
    f"@font-face {{ font-family: x; src: url({EVIL}/f.woff) }}</style>",
    body_attributes=f" background=\"{EVIL}/body.png\"",
)

#: Markup that names the report's own ids, classes and attributes, and globals its script uses.
COLLISIONS = _article(
    _p(0),
    "<div id=\"dc-page\" class=\"dc-focus dc-cat-ad\" data-dc-index=\"0\" "
    "data-dc-category=\"ad\" data-dc-label=\"fake label\">collision attempt</div>",
    "<table id=\"dc-removals\"><tr data-dc-row=\"0\"><td>fake row</td></tr></table>",
    "<img name=\"getElementById\" alt=\"clobber\"><form name=\"querySelector\"></form>",
    "<embed name=\"body\"><object name=\"forms\"></object>",
    _p(1, " id=\"dc-side\""),
    "<a id=\"Array\" name=\"Array\">clobbered global</a>",
    _p(2),
    "<style>#dc-page { display: none }</style>",
    _p(3),
)

HOSTILE = {
    "scripts": SCRIPTS,
    "handlers": HANDLERS,
    "urls": URLS,
    "resources": RESOURCES,
    "collisions": COLLISIONS,
}
