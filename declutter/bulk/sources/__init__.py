"""Where a run's pages come from: directories, task lists, URLs and WARC files."""
