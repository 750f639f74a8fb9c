"""arXiv as a source: a polite HTTP client, safe parsers for the query API's Atom and for
OAI-PMH, and the processors that turn their pages into papers, one page per task."""
