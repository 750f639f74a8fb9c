"""How large a paper's fields may be: one definition for every way in.

The model's `max_length`s come from here, so the admin's forms and the API's serializers
enforce them; the upsert service, which every importer calls (BibTeX, arXiv, the survey
seed), checks the same numbers and fails just the entry that is over, with the reason.
docs/limits.md lists them beside the other limits.
"""

TITLE = 2_000  # characters
ABSTRACT = 50_000
JOURNAL_REF = 2_000
COMMENT = 5_000
STATUS_REASON = 2_000
AUTHORS = 1_000  # authors of one paper
CATEGORIES = 50  # categories of one paper
BIBTEX_FIELDS = 100  # other BibTeX fields kept with one paper
BIBTEX_FIELD = 50_000  # characters of one of them
