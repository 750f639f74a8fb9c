"""BibTeX, LaTeX and personal names without Django: the one brace scanner (`braces`), the one
LaTeX codec (`codec`), the one name rule (`names`) and the field conventions (`fields`).

The importer, the BibTeX writer, CSL-JSON, RIS and dedupe keys all read through here, so a
name or a field means the same thing on every path. Nothing in this package may import
Django or the apps' models (tests/papers/test_bibliography.py checks).
"""
