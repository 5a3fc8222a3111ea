"""Hand-written news pages for the core tests.

The body paragraphs are long enough (40+ words) that the locator sees an
article, so each test exercises the one piece of boilerplate it is about and
not the article detection. All text here is original.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

import lxml.html

TITLE = "Council approves 42 million plan to rebuild the old harbour wall"
SITE = "The Harbour Ledger"

EN = (
    "The city council voted on Tuesday to spend 42 million dollars on rebuilding the old "
    "harbour wall, ending a dispute that had dragged on for more than a decade and split the "
    "waterfront neighbourhoods into two camps that rarely agreed on anything else.",
    "Engineers told the council that the wall, built in 1911 from granite blocks and lime "
    "mortar, had shifted by almost 30 centimetres since the storms of 2019. Without repairs, "
    "they said, a single winter surge could flood the fish market and the ferry terminal.",
    "Residents of the northern quays, who had campaigned for years against a cheaper concrete "
    "barrier, welcomed the decision. Their spokeswoman, Maria Ostrowski, said the vote showed "
    "that the council was finally listening to the people who live and work beside the water.",
    "Work is expected to begin in March and to last about three years. The ferry will keep "
    "running during construction, although passengers should expect delays on weekday "
    "mornings, when barges carrying stone will have priority at the narrow harbour entrance.",
    "Opposition councillors questioned the cost, noting that the budget had grown by a third "
    "since the first estimate. The mayor replied that the higher figure included a contingency "
    "for bad weather, and that any money left unused would be returned to the general fund.",
    "The harbour authority said it would publish monthly progress reports on its website and "
    "hold public meetings in the fish market hall, where residents could put questions "
    "directly to the engineers and to the contractor chosen to carry out the work.",
)

DE = (
    "Der Stadtrat hat am Dienstag beschlossen, 42 Millionen Euro für die Sanierung der alten "
    "Hafenmauer auszugeben. Damit endet ein Streit, der sich mehr als zehn Jahre hingezogen und "
    "die Viertel am Wasser in zwei Lager gespalten hatte, die sich sonst selten einig waren.",
    "Ingenieure erklärten dem Rat, die Mauer aus Granitblöcken und Kalkmörtel habe sich seit "
    "den Stürmen des Jahres 2019 um fast 30 Zentimeter verschoben. Ohne Reparatur, so die "
    "Fachleute, könne schon eine einzige Sturmflut den Fischmarkt und den Fähranleger fluten.",
    "Die Bauarbeiten sollen im März beginnen und etwa drei Jahre dauern. Die Fähre fährt "
    "während der Arbeiten weiter, doch Fahrgäste müssen an Werktagen mit Verspätungen rechnen, "
    "weil Lastkähne mit Steinen an der engen Einfahrt zum inneren Becken Vorrang haben.",
)

ES = (
    "El ayuntamiento aprobó el martes una inversión de 42 millones de euros para reconstruir "
    "el viejo muro del puerto, poniendo fin a una disputa que se había prolongado durante más "
    "de una década y que dividió a los barrios del litoral en dos bandos enfrentados.",
    "Los ingenieros explicaron a los concejales que el muro, construido en 1911 con bloques de "
    "granito y mortero de cal, se ha desplazado casi 30 centímetros desde los temporales de "
    "2019. Sin reparaciones, advirtieron, una sola marejada podría inundar la lonja.",
    "Las obras comenzarán en marzo y durarán unos tres años. El ferri seguirá funcionando "
    "durante la construcción, aunque los pasajeros deberán esperar retrasos por las mañanas, "
    "cuando las barcazas cargadas de piedra tendrán prioridad en la entrada de la dársena.",
)

FR = (
    "Le conseil municipal a voté mardi une enveloppe de 42 millions d'euros pour reconstruire "
    "la vieille digue du port, mettant fin à un différend qui durait depuis plus de dix ans et "
    "qui avait divisé les quartiers du front de mer en deux camps rarement d'accord.",
    "Selon les ingénieurs, la digue, bâtie en 1911 avec des blocs de granit et du mortier de "
    "chaux, s'est déplacée de près de 30 centimètres depuis les tempêtes de 2019. Sans travaux, "
    "ont-ils prévenu, une seule marée de tempête pourrait inonder la halle aux poissons.",
    "Le chantier doit commencer en mars et durer environ trois ans. Le bac continuera de "
    "circuler pendant les travaux, mais les passagers devront s'attendre à des retards le "
    "matin, lorsque les barges chargées de pierres auront la priorité à l'entrée du bassin.",
)

IT = (
    "Il consiglio comunale ha approvato martedì una spesa di 42 milioni di euro per "
    "ricostruire il vecchio muro del porto, chiudendo una disputa che andava avanti da oltre "
    "dieci anni e che aveva diviso i quartieri sul mare in due schieramenti.",
    "Secondo gli ingegneri, il muro, costruito nel 1911 con blocchi di granito e malta di "
    "calce, si è spostato di quasi 30 centimetri dalle mareggiate del 2019. Senza lavori, hanno "
    "spiegato, una sola mareggiata invernale potrebbe allagare il mercato del pesce.",
    "I lavori dovrebbero iniziare a marzo e durare circa tre anni. Il traghetto continuerà a "
    "funzionare durante il cantiere, ma nei giorni feriali i passeggeri dovranno aspettarsi "
    "ritardi al mattino, quando le chiatte cariche di pietra avranno la precedenza.",
)

PT = (
    "A câmara municipal aprovou na terça-feira um investimento de 42 milhões de reais para "
    "reconstruir o antigo muro do porto, encerrando uma disputa que se arrastava havia mais de "
    "dez anos e que dividiu os bairros da orla em dois grupos que raramente concordavam.",
    "Segundo os engenheiros, o muro, erguido em 1911 com blocos de granito e argamassa de cal, "
    "deslocou-se quase 30 centímetros desde as tempestades de 2019. Sem reparos, alertaram, uma "
    "única ressaca poderia inundar o mercado de peixe e o terminal das balsas.",
    "As obras devem começar em março e durar cerca de três anos. A balsa continuará operando "
    "durante a construção, mas os passageiros devem esperar atrasos nas manhãs de dias úteis, "
    "quando as barcaças carregadas de pedra terão prioridade na entrada da bacia.",
)

RU = (
    "Городской совет во вторник одобрил выделение 42 миллионов рублей на восстановление "
    "старой портовой стены, положив конец спору, который длился более десяти лет и разделил "
    "прибрежные кварталы на два лагеря, редко соглашавшихся друг с другом хоть в чём-то.",
    "По словам инженеров, стена, построенная в 1911 году из гранитных блоков на известковом "
    "растворе, с момента штормов 2019 года сместилась почти на 30 сантиметров. Без ремонта, "
    "предупредили они, один сильный нагон воды может затопить рыбный рынок и паромный причал.",
    "Работы должны начаться в марте и продлятся около трёх лет. Паром продолжит ходить во "
    "время строительства, однако по утрам в будние дни пассажирам следует ожидать задержек, "
    "когда баржи с камнем будут иметь приоритет у узкого входа во внутреннюю гавань.",
)

BODIES = {"en": EN, "de": DE, "es": ES, "fr": FR, "it": IT, "pt": PT, "ru": RU}

HEADER = """<header class="site-header">
  <a class="logo" href="/">The Harbour Ledger</a>
  <form class="search" action="/search"><input name="q" placeholder="Search"></form>
  <a class="subscribe-link" href="/subscribe">Subscribe for 1 dollar a week</a>
</header>
<nav class="main-nav" aria-label="Sections">
  <ul><li><a href="/">Home</a></li><li><a href="/city">City</a></li>
  <li><a href="/business">Business</a></li><li><a href="/sport">Sport</a></li>
  <li><a href="/opinion">Opinion</a></li></ul>
</nav>"""

FOOTER = """<footer class="site-footer">
  <p>© 2026 The Harbour Ledger. All rights reserved. Reproduction of any part of this site
  without written permission is prohibited.</p>
  <p><a href="/about">About us</a> | <a href="/contact">Contact</a> |
  <a href="/privacy">Privacy policy</a> | <a href="/terms">Terms of use</a></p>
</footer>"""


def p(*texts: str) -> str:
    """Paragraph markup for plain texts (escaped, so the texts are exactly what is expected)."""
    return "\n".join(f"<p>{escape(text, quote=False)}</p>" for text in texts)


def page(
    body: str,
    *,
    title: str = TITLE,
    lang: str = "en",
    head: str = "",
    before: str = "",
    after: str = "",
    chrome: bool = True,
) -> str:
    """A complete news page: head, site header and nav, the article, site footer.

    ``body`` is the markup inside ``<article>`` after the headline; ``before`` and
    ``after`` go beside the article inside ``<main>``.
    """
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{escape(title)} | {SITE}</title>
<meta property="og:type" content="article">
<meta property="og:site_name" content="{SITE}">
{head}
</head>
<body>
{HEADER if chrome else ""}
<main>
{before}
<article class="story">
<h1 class="headline">{escape(title)}</h1>
{body}
</article>
{after}
</main>
{FOOTER if chrome else ""}
</body>
</html>
"""


_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def visible_tokens(html: str | bytes) -> list[str]:
    """Word tokens of the page as a browser shows it (script, style and hidden removed).

    Form feed is HTML whitespace; other C0 controls are invisible (and lxml refuses them).
    A soft hyphen (U+00AD) only shows where a line breaks inside its word: the word on
    either side of it is one word.
    """
    if isinstance(html, str):
        html = _CONTROLS.sub("", html.replace("\x0c", " "))
        html = html.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    doc = lxml.html.document_fromstring(html)
    hidden = "//*[@hidden] | //*[contains(translate(@style, ' ', ''), 'display:none')]"
    for el in doc.xpath(f"//script | //style | {hidden}"):
        if el.getparent() is not None:
            el.drop_tree()
    return re.findall(r"\w+", doc.text_content().replace("\xad", ""))


def is_subsequence(needle: Sequence[str], haystack: Sequence[str]) -> bool:
    """True when ``needle`` occurs in ``haystack`` in order, gaps allowed."""
    it = iter(haystack)
    return all(token in it for token in needle)
