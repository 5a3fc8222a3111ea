"""Where results go: files per page, JSON Lines, Parquet, CSV; every write all-or-nothing."""
