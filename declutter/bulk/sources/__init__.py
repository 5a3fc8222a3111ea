"""Where a run's pages come from: directories, task lists, URLs and WARC files.

``choose.open_source`` turns an input into one of them.
"""
