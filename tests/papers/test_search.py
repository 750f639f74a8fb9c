"""Search on the database in use (SQLite's FTS5, or PostgreSQL): the query language through
the HTML page, the API and the admin, the search document kept by triggers, synonyms, and
the capped count. Run on both: `DATABASE_URL=postgres://… pytest tests/papers/test_search.py`.
"""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from apps.papers import search
from apps.papers.models import NEWEST_FIRST, Paper, Placement, Synonym
from apps.papers.search import SYNONYMS_CACHE_KEY, search_papers
from apps.papers.services import paper_update, placement_review, synonym_delete, synonym_save
from tests.factories import PaperFactory, PlacementFactory
from tests.papers.seed_v2 import load_seed_v2

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_synonym_cache():  # type: ignore[no-untyped-def]
    cache.delete(SYNONYMS_CACHE_KEY)
    yield
    cache.delete(SYNONYMS_CACHE_KEY)


def ids(text: str) -> set[int]:
    return set(search_papers(Paper.objects.included(), text).values_list("pk", flat=True))


def api_ids(client: APIClient, text: str) -> list[int]:
    response = client.get("/api/v1/papers/", {"q": text, "page_size": 200, "fields": "id"})
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_what_issue_13_asks_on_the_seed_corpus() -> None:
    papers = load_seed_v2()
    client = APIClient()

    language, without_surveys = ids("language"), ids("language -survey")
    assert 0 < len(without_surveys) < len(language)
    assert without_surveys < language
    assert papers["2406.04244"].pk in language - without_surveys  # "…Models: A Survey"

    llm, long_form = ids("LLM"), ids("large language models")
    assert llm == long_form
    assert papers["2308.08493"].pk in llm  # "Time Travel in LLMs": the plural, in the title

    assert api_ids(client, '"test oracle"')[0] == papers["2309.03554"].pk
    assert papers["2506.23762"].pk in api_ids(client, "author:Rao")
    benchmark_2024 = api_ids(client, "year:2024 benchmark")
    assert benchmark_2024
    assert {Paper.objects.get(pk=pk).year for pk in benchmark_2024} == {2024}
    assert set(benchmark_2024) < ids("benchmark")


@pytest.mark.parametrize("text", ['"unclosed', "year:abc"])
def test_a_malformed_query_is_a_400_in_the_api_and_a_message_on_the_page(text: str) -> None:
    PaperFactory()

    response = APIClient().get("/api/v1/papers/", {"q": text})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert (
        "year:2021..2024" in response.content.decode() or "not closed" in response.content.decode()
    )

    page = Client().get("/papers/", {"q": text})
    assert page.status_code == 400
    body = page.content.decode()
    assert "This search could not be understood" in body
    assert "year:2021..2024" in body or "not closed" in body
    assert 'name="q"' in body  # the search box, to correct it


def test_accents_fold_both_ways() -> None:
    ramirez = PaperFactory(title="Fuzzing compilers", authors=["Ana Ramírez"])
    lukasz = PaperFactory(title="Żółw: a benchmark", authors=["Łukasz Nowak"])

    assert ids("author:Ramirez") == ids("Ramírez") == {ramirez.pk}
    assert ids("Łukasz") == {lukasz.pk}
    assert ids("zolw") == ids("Żółw") == {lukasz.pk}


def test_the_search_document_follows_every_write() -> None:
    paper = PaperFactory(title="A study of flaky tests", abstract="")
    assert ids("flaky") == {paper.pk}

    paper_update(paper=paper, data={"title": "A study of nondeterministic builds"})
    assert ids("flaky") == set()
    assert ids("nondeterministic") == {paper.pk}

    Paper.objects.filter(pk=paper.pk).update(venue="ICSE 2025")  # a bulk write, no service
    assert ids("venue:ICSE") == {paper.pk}
    assert ids("title:ICSE") == set()


def test_curators_notes_are_searched_once_the_placement_is_accepted() -> None:
    placement = PlacementFactory(
        evidence="Shows that watermarking survives paraphrasing.",
        origin=Placement.Origin.SUGGESTED,
        review_state=Placement.ReviewState.PENDING,
    )
    assert ids("watermarking") == set()  # a pending suggestion is not public

    placement_review(placements=[placement], accept=True, actor=None)
    assert ids("watermarking") == {placement.paper_id}

    placement.delete()
    assert ids("watermarking") == set()


def test_ranking_puts_title_matches_first() -> None:
    in_abstract = PaperFactory(title="Other things", abstract="About hallucination, once.")
    in_title = PaperFactory(title="Hallucination in code models", abstract="")

    ranked = search_papers(Paper.objects.all(), "hallucination").order_by("-relevance")
    assert list(ranked.values_list("pk", flat=True)) == [in_title.pk, in_abstract.pk]


def test_synonyms_are_editable_and_take_effect_at_once(curator) -> None:  # type: ignore[no-untyped-def]
    paper = PaperFactory(title="Guarding agents with runtime monitors", abstract="")
    assert ids("watchdog") == set()  # and the (empty) list is now cached

    synonym = synonym_save(
        synonym=Synonym(term="watchdog", equivalent="runtime monitor"), actor=curator
    )
    assert ids("watchdog") == {paper.pk}
    assert synonym.history.first().history_user == curator

    synonym_delete(synonyms=[synonym], actor=curator)
    assert ids("watchdog") == set()


def test_the_seeded_vocabulary_has_the_fields_terms() -> None:
    pairs = set(Synonym.objects.values_list("term", "equivalent"))
    assert len(pairs) >= 40
    for pair in [
        ("LLM", "large language model"),
        ("RAG", "retrieval-augmented generation"),
        ("RLHF", "reinforcement learning from human feedback"),
        ("PEFT", "parameter-efficient fine-tuning"),
        ("LoRA", "low-rank adaptation"),
        ("MoE", "mixture of experts"),
        ("SFT", "supervised fine-tuning"),
        ("DPO", "direct preference optimization"),
    ]:
        assert pair in pairs


def test_admin_search_speaks_the_query_language(curator_client: Client) -> None:
    hit = PaperFactory(title="Metamorphic testing of chatbots", year=2023)
    PaperFactory(title="Metamorphic testing of compilers", year=2020)

    page = curator_client.get("/admin/papers/paper/", {"q": "metamorphic year:2023"})
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [hit]

    page = curator_client.get("/admin/papers/paper/", {"q": '"unclosed'}, follow=True)
    assert page.status_code == 200
    assert "is not closed" in page.content.decode()

    by_id = curator_client.get("/admin/papers/paper/", {"q": hit.arxiv_id})
    assert list(by_id.context["cl"].result_list) == [hit]


def test_synonyms_in_the_admin_keep_history_and_refresh_search(curator_client: Client) -> None:
    paper = PaperFactory(title="Keeping a bill of materials for models", abstract="")
    assert ids("MBOM") == set()

    response = curator_client.post(
        "/admin/papers/synonym/add/",
        {"term": "MBOM", "equivalent": "bill of materials", "note": ""},
    )
    assert response.status_code == 302
    assert ids("MBOM") == {paper.pk}
    assert Synonym.history.filter(term="MBOM").count() == 1


def test_a_large_result_is_counted_up_to_a_cap_and_labelled_an_estimate(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(search, "FIRST_COUNT", 2)
    monkeypatch.setattr(search, "COUNT_CAP", 5)
    monkeypatch.setattr(search, "PASS_LIMIT", 10)
    monkeypatch.setattr(search, "SAMPLE_BLOCKS", 2)
    monkeypatch.setattr(search, "SAMPLE_BLOCK", 3)
    monkeypatch.setattr(search, "RANK_WINDOW", 4)
    PaperFactory.create_batch(12, title="Code review with models")
    PaperFactory.create_batch(3, title="Unrelated")

    body = APIClient().get("/api/v1/papers/", {"q": "review", "page_size": 3}).json()
    assert body["count_is_estimate"] is True
    assert body["count"] >= 6
    exact = APIClient().get("/api/v1/papers/", {"q": "unrelated"}).json()
    assert exact["count"] == 3
    assert "count_is_estimate" not in exact

    page = Client().get("/papers/", {"q": "review"})
    assert "about " in page.content.decode()

    # Paging through every match (ranked window, then the rest) shows each paper once.
    seen = []
    for number in (1, 2, 3, 4, 5, 6):
        response = APIClient().get(
            "/api/v1/papers/", {"q": "review", "page_size": 3, "page": number}
        )
        if response.status_code == 404:
            break
        seen += [row["id"] for row in response.json()["results"]]
    assert sorted(seen) == sorted(ids("review"))


def test_search_page_queries_do_not_grow_with_rows(django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    PaperFactory.create_batch(30, title="Prompt injection defences", authors=2)
    client = APIClient()
    client.get("/api/v1/papers/", {"q": "prompt"})  # fills the synonym cache
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/papers/", {"q": "prompt injection", "page_size": 25})
    assert response.json()["count"] == 30


def test_the_search_index_is_reinstalled_when_a_trigger_is_lost() -> None:
    from apps.papers.search import ensure_search_index, search_index_missing

    paper = PaperFactory(title="Tokenizer drift", abstract="")
    with connection.cursor() as cursor:
        name = "papers_paper_fts_insert" if connection.vendor == "sqlite" else "papers_paper_search"
        suffix = "" if connection.vendor == "sqlite" else " ON papers_paper"
        cursor.execute(f"DROP TRIGGER {name}{suffix}")
    assert search_index_missing(connection)

    ensure_search_index()
    assert not search_index_missing(connection)
    assert ids("tokenizer") == {paper.pk}


def test_a_papers_own_note_is_searched() -> None:
    """The seed's notes live on the paper (`curator_note`): the installed triggers index it,
    whatever path writes it."""
    from apps.papers.search import search_index_missing

    paper = PaperFactory(title="Agents in production", abstract="")
    assert not search_index_missing(connection)
    assert ids("observability") == set()

    Paper.objects.filter(pk=paper.pk).update(
        curator_note="Audits the observability of deployed agents."
    )

    assert ids("observability") == {paper.pk}


def test_a_ranked_page_and_its_total_equal_ranking_every_match(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Under the cap the page comes from one pass (PostgreSQL) yet is the exact ranking: the
    same ids, in the same order, as ordering every match by relevance; the total is exact."""
    monkeypatch.setattr(search, "COUNT_CAP", 20)
    for n in range(9):
        PaperFactory(title=f"Fuzzing compilers {n}", abstract="fuzzing " * (n % 4))
    PaperFactory.create_batch(4, title="Symbolic execution", abstract="one fuzzing baseline")
    expected = list(
        search_papers(Paper.objects.included(), "fuzzing")
        .order_by("-relevance", "-published_at", "-id")
        .values_list("pk", flat=True)
    )
    assert len(expected) == 13

    pages = [
        APIClient().get("/api/v1/papers/", {"q": "fuzzing", "page_size": 5, "page": n}).json()
        for n in (1, 2, 3)
    ]

    assert [row["id"] for page in pages for row in page["results"]] == expected
    assert {page["count"] for page in pages} == {13}
    assert all("count_is_estimate" not in page for page in pages)
    assert pages[2]["next"] is None
    assert APIClient().get("/api/v1/papers/", {"q": "fuzzing", "page": 4}).status_code == 404


def test_only_the_cap_knows_a_total_is_over_it(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A total over the cap whose sample says under it is shown as "more than", not a
    made-up "about" figure."""
    paginator = search.SearchPaginator(Paper.objects.none(), 10)
    paginator.count_is_estimate = True
    paginator.__dict__["count"] = search.COUNT_CAP + 1
    assert search.count_label(paginator) == f"more than {search.COUNT_CAP:,}"
    paginator.__dict__["count"] = 81_000
    assert search.count_label(paginator) == "about 81,000"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's one-pass path")
def test_a_search_read_in_one_pass_has_an_exact_total_above_the_cap(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Between the cap and PASS_LIMIT the one pass counts every match (an exact total) and
    ranks the RANK_WINDOW newest, as a broad search does."""
    monkeypatch.setattr(search, "COUNT_CAP", 5)
    monkeypatch.setattr(search, "PASS_LIMIT", 20)
    monkeypatch.setattr(search, "RANK_WINDOW", 4)
    PaperFactory.create_batch(12, title="Code review with models")
    newest = search_papers(Paper.objects.included(), "review").order_by(*NEWEST_FIRST)
    window = newest[:4].values_list("pk", flat=True)
    expected = list(
        search_papers(Paper.objects.filter(pk__in=list(window)), "review")
        .order_by("-relevance", "-published_at", "-id")
        .values_list("pk", flat=True)
    )

    body = APIClient().get("/api/v1/papers/", {"q": "review", "page_size": 3}).json()

    assert body["count"] == 12
    assert "count_is_estimate" not in body
    assert [row["id"] for row in body["results"]] == expected[:3]
