"""The values every layer shares: options, errors, the article and its blocks.

Nothing here reads a page; the stages, the formats, bulk runs and the command line all
speak in these types, so this package imports none of them.
"""
