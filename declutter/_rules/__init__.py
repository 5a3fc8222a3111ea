"""The rules as data: pattern and label tables, lexicon files, per-site rule files.

``tables`` holds every class/id pattern, label phrase and line pattern, compiled once;
``lexicons/`` the label phrases per category in many languages; ``sitefile`` loads a
user's per-site selectors; ``selectors`` compiles CSS or XPath for both.
"""
