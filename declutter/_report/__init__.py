"""The explain report: the page with every removal outlined, sanitised, self-contained."""
