"""BibTeX import: `parser` turns a file into paper records (one per entry block, failures
included); `services` writes them through `paper_upsert_many` and reports every entry."""
