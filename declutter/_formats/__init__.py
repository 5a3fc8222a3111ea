"""Output formats, all built from the same kept blocks: text, Markdown, HTML, XML, TEI."""
