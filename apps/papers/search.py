"""Full-text search over title, author names and abstract.

PostgreSQL: a stored, weighted tsvector column (title A, authors B, abstract C) with a GIN
index, queried with websearch syntax ("quoted phrases", -exclusions, or) and ranked. The
column is added by a PostgreSQL-only migration and is not a model field, so SQLite needs no
stand-in; there every word must appear (case-insensitively) in one of the three fields, and
relevance puts title matches first.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connection, models
from django.db.models import Case, Q, Value, When
from django.db.models.expressions import Expression

SEARCH_CONFIG = "english"
VECTOR_COLUMN = "search_vector"
# The generated column's definition; kept here beside the query that relies on it.
VECTOR_SQL = (
    f"setweight(to_tsvector('{SEARCH_CONFIG}'::regconfig, coalesce(title, '')), 'A') || "
    f"setweight(to_tsvector('{SEARCH_CONFIG}'::regconfig, coalesce(author_names, '')), 'B') || "
    f"setweight(to_tsvector('{SEARCH_CONFIG}'::regconfig, coalesce(abstract, '')), 'C')"
)
MAX_QUERY_LENGTH = 500
_WORD = re.compile(r"[\w.+#-]+", re.UNICODE)


class StoredSearchVector(Expression):
    """The paper table's generated `search_vector` column (PostgreSQL only)."""

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection):  # type: ignore[no-untyped-def]
        alias = compiler.query.get_initial_alias()
        return f"{compiler.quote_name_unless_alias(alias)}.{VECTOR_COLUMN}", []


def uses_full_text_search() -> bool:
    """True on PostgreSQL, where the tsvector column and its index exist."""
    return connection.vendor == "postgresql"


def search_papers(queryset: models.QuerySet, text: str) -> models.QuerySet:
    """Papers matching `text`, annotated with `relevance` (higher is better)."""
    text = text.strip()[:MAX_QUERY_LENGTH]
    if not text:
        return queryset.annotate(relevance=Value(0.0, output_field=models.FloatField()))
    if uses_full_text_search():
        query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
        vector = StoredSearchVector()
        # `vector = query` compiles to `search_vector @@ websearch_to_tsquery(…)`: the GIN index.
        # An alias, not an annotation: the vector is matched on, never sent back with the rows.
        return (
            queryset.alias(search_document=vector)
            .annotate(relevance=SearchRank(vector, query))
            .filter(search_document=query)
        )
    return _search_portable(queryset, text)


def _search_portable(queryset: models.QuerySet, text: str) -> models.QuerySet:
    words = [w for w in _WORD.findall(text) if w.lower() not in {"and", "or", "not"}][:20]
    if not words:
        return queryset.none()
    for word in words:
        queryset = queryset.filter(
            Q(title__icontains=word) | Q(author_names__icontains=word) | Q(abstract__icontains=word)
        )
    in_title = Q()
    for word in words:
        in_title &= Q(title__icontains=word)
    return queryset.annotate(relevance=Case(When(in_title, then=Value(1.0)), default=Value(0.5)))
