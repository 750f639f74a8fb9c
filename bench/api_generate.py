"""Fill a PostgreSQL database with a realistic knowledge base: the corpus the API, web page,
export and load benchmarks share.

    createdb -h 127.0.0.1 -U postgres sellm_bench_corpus
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sellm_bench_corpus \\
        .venv/bin/python bench/api_generate.py --papers 100000

(`bench/run.py` creates that database itself.)

Migrates, loads the survey's taxonomy (and seed papers) with the real command, then bulk-
inserts papers, authors, authorships, categories and placements with COPY: about two minutes for
100,000 papers on two cores. Titles and abstracts are drawn from the field's vocabulary so that
full-text searches match about as many rows as on real abstracts: the field's everyday words
(model, code, language) in nearly every paper, a topic's terms in a few percent.
Deterministic for a given --seed. Refuses to run against a database that already has
generated papers.
"""

import argparse
import io
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def words(text: str) -> list[str]:
    return text.split("|")


TOPICS = words(
    "code generation|program repair|test generation|unit testing|fuzzing|vulnerability "
    "detection|code review|requirements engineering|requirements elicitation|specification "
    "mining|code summarization|commit message generation|bug localization|defect prediction|"
    "static analysis|program synthesis|code search|code translation|API misuse|log parsing|"
    "incident management|root cause analysis|prompt engineering|retrieval augmented generation|"
    "fine-tuning|instruction tuning|data contamination|benchmark construction|hallucination|"
    "non-determinism|model evaluation|robustness|adversarial attacks|prompt injection|"
    "jailbreaks|backdoors|data poisoning|privacy leakage|memorization|watermarking|model "
    "compression|quantization|inference serving|LLMOps|deployment|monitoring|model drift|"
    "continual learning|model editing|knowledge updating|agents|tool use|multi-agent systems|"
    "code agents|software architecture|technical debt|dataset curation|data annotation|"
    "human evaluation|metamorphic testing|differential testing|mutation testing|test oracles|"
    "flaky tests|formal verification|type inference|smart contracts|autonomous driving"
)
METHODS = words(
    "an empirical study|a systematic literature review|a benchmark|a framework|a survey|an "
    "approach|a large-scale evaluation|a replication study|lessons learned|a taxonomy|a tool|"
    "an industrial case study|a controlled experiment|a position paper|a vision"
)
TITLE_PATTERNS = (
    "{Topic} with large language models: {method}",
    "Towards reliable {topic} for LLM-based systems",
    "On the {quality} of {topic} in code language models",
    "{Name}: {topic} via {technique}",
    "Can large language models do {topic}? {Method}",
    "{Technique} for {topic}: {method}",
    "Evaluating {topic} of GPT-4 and open models",
    "{Name}: a benchmark for {topic} with LLMs",
)
QUALITIES = words("robustness|reliability|effectiveness|security|fairness|efficiency|cost")
TECHNIQUES = words(
    "chain-of-thought prompting|retrieval augmentation|reinforcement learning from feedback|"
    "contrastive learning|self-consistency|in-context learning|parameter-efficient tuning|"
    "program analysis|symbolic execution|search-based testing|curriculum learning"
)
GENERAL = words(
    "model|models|language|large|LLM|LLMs|code|software|engineering|tasks|performance|"
    "evaluation|results|approach|study|dataset|benchmark|prompt|prompts|generation|developers|"
    "quality|accuracy|training|fine-tuned|pre-trained|transformer|tokens|context|framework|"
    "metrics|baseline|state-of-the-art|pipeline|human|experts"
)
# Specific terms: each paper mentions a few, so each term is in a few percent of papers.
SPECIFIC = words(
    "oracle|vulnerabilities|retrieval|agents|tools|repair|patches|security|privacy|tests|bugs|"
    "requirements|specifications|documentation|repositories|GitHub|Python|Java|functions|"
    "programs|compilation|execution|coverage|mutation|fuzzing|inference|latency|deployment|"
    "serving|monitoring|drift|maintenance|evolution|hallucination|contamination|robustness|"
    "adversarial|attacks|defenses|alignment|safety|fairness|bias|explanations|"
    "interpretability|annotation|labels|survey|taxonomy|pass@k|BLEU|CodeBLEU|precision|recall|"
    "F1|testing|Rust|Kotlin|SQL|compilers|refactoring|clones|smells|traceability|microservices"
)
COMMON = words(
    "the|of|and|to|in|a|we|that|for|is|on|with|this|as|are|by|our|from|an|be|which|these|"
    "can|it|their|such|more|than|show|using|based|propose|paper|new|both|also|however|while|"
    "results|significantly|outperforms|existing|methods|across|different|real-world|novel|"
    "effective|evaluate|experiments|demonstrate|improves|challenges|future|research|work"
)
FIRST = words(
    "Wei|Yang|Li|Zhang|Chen|Liu|Wang|Xin|Hao|Jie|Ming|Yu|Lei|Tao|Anna|Maria|David|John|Sarah|"
    "Michael|Laura|Carlos|Sofia|Ahmed|Fatima|Hiroshi|Yuki|Priya|Arjun|Olga|Ivan|Lucas|Emma|"
    "Noah|Mia|Elena|Marco|Giulia|Paul|Julia|Ken|Sung|Min|Jin|Omar|Leila|Tom|Eva|Nina|Raj"
)
LAST = words(
    "Wang|Li|Zhang|Liu|Chen|Yang|Huang|Zhao|Wu|Zhou|Xu|Sun|Ma|Zhu|Hu|Guo|He|Lin|Luo|Gao|"
    "Smith|Johnson|Brown|Garcia|Miller|Davis|Martinez|Lopez|Gonzalez|Wilson|Anderson|Thomas|"
    "Taylor|Moore|Jackson|Martin|Lee|Perez|Thompson|White|Harris|Sanchez|Clark|Ramirez|Lewis|"
    "Robinson|Walker|Young|Allen|King|Wright|Scott|Torres|Nguyen|Hill|Flores|Green|Adams|"
    "Nelson|Baker|Hall|Rivera|Campbell|Mitchell|Carter|Roberts|Kumar|Singh|Patel|Sharma|Khan|"
    "Tanaka|Suzuki|Kim|Park|Choi|Muller|Schmidt|Schneider|Fischer|Weber|Rossi|Russo|Ferrari|"
    "Silva|Santos|Oliveira|Ivanov|Petrov|Novak|Kowalski|Nowak|Dubois|Moreau|Laurent|Bernard"
)
CATEGORIES = ["cs.SE", "cs.CL", "cs.LG", "cs.AI", "cs.CR", "cs.PL", "cs.HC", "stat.ML"]
VENUES = ["ICSE", "FSE", "ASE", "ISSTA", "TOSEM", "TSE", "EMSE", "NeurIPS", "ACL", "ICLR"]


def zipf_pick(rng: random.Random, words: list[str], skew: float = 1.1) -> str:
    """A word with Zipf-like frequency: the first words of the list are the common ones."""
    index = int(len(words) * (rng.random() ** (skew * 2.5)))
    return words[min(index, len(words) - 1)]


def title(rng: random.Random, topic: str) -> str:
    method = rng.choice(METHODS)
    name = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(rng.randint(3, 7)))
    return rng.choice(TITLE_PATTERNS).format(
        topic=topic,
        Topic=topic[0].upper() + topic[1:],
        method=method,
        Method=method[0].upper() + method[1:],
        quality=rng.choice(QUALITIES),
        technique=rng.choice(TECHNIQUES),
        Technique=rng.choice(TECHNIQUES).capitalize(),
        Name=name.capitalize(),
    )


def abstract(rng: random.Random, topic: str) -> str:
    """About 170 words: common English, the field's everyday words (model, code, …), a few
    specific terms, and the paper's own topic two or three times."""
    tokens = []
    for _ in range(rng.randint(120, 220)):
        roll = rng.random()
        if roll < 0.55:
            tokens.append(zipf_pick(rng, COMMON))
        elif roll < 0.975:
            tokens.append(zipf_pick(rng, GENERAL))
        elif roll < 0.995:
            tokens.append(rng.choice(SPECIFIC))  # about 3 per abstract: each in ~5% of papers
        else:
            tokens.append(rng.choice(TOPICS))
    for _ in range(rng.randint(2, 3)):
        tokens.insert(rng.randrange(len(tokens)), topic)
    sentences, start = [], 0
    while start < len(tokens):
        end = start + rng.randint(12, 28)
        sentence = " ".join(tokens[start:end])
        sentences.append(sentence[0].upper() + sentence[1:] + ".")
        start = end
    return " ".join(sentences)


def copy(table: str, columns: list[str], rows: list[tuple]) -> None:
    """COPY rows into a table (tab-separated text; values must not contain tabs/newlines)."""
    from django.db import connection

    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(r"\N" if v is None else str(v) for v in row) + "\n")
    buffer.seek(0)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy_:
            while chunk := buffer.read(1 << 20):
                copy_.write(chunk)


def generate(papers: int, authors: int, seed: int = 20261125) -> dict[str, int]:
    """Migrate the configured (empty) database and fill it; returns the row counts."""
    from django.core.management import call_command
    from django.db import connection

    from apps.core.text import fold
    from apps.papers.models import Paper
    from apps.taxonomy.models import Challenge, Phase, ResearchDirection

    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database made for the benchmark.")
    rng = random.Random(seed)
    started = time.perf_counter()

    call_command("migrate", verbosity=0)
    call_command("load_survey", stdout=io.StringIO())
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM papers_paper WHERE source = 'arxiv'")
        if cursor.fetchone()[0]:
            sys.exit("This database already has generated papers; drop and recreate it first.")
        cursor.execute("SELECT coalesce(max(id), 0) FROM papers_paper")
        first_paper = cursor.fetchone()[0] + 1
        cursor.execute("SELECT coalesce(max(id), 0) FROM papers_author")
        first_author = cursor.fetchone()[0] + 1
    now = datetime.now(UTC).isoformat()

    # Authors: distinct folded names.
    # Distinct from each other and from the seed's authors (a seed paper has a David J. Miller).
    from apps.papers.models import Author

    taken = set(Author.objects.values_list("name_key", flat=True))
    names: dict[str, str] = {}
    while len(names) < authors:
        name = f"{rng.choice(FIRST)} {rng.choice(FIRST)[0]}. {rng.choice(LAST)}"
        if rng.random() < 0.5:
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}-{rng.choice(LAST)}"
        if fold(name) not in taken:
            names.setdefault(fold(name), name)
    author_rows = [
        (first_author + i, now, now, "[]", name, key) for i, (key, name) in enumerate(names.items())
    ]
    author_ids = [row[0] for row in author_rows]
    author_names = {row[0]: row[4] for row in author_rows}
    copy(
        "papers_author",
        ["id", "created_at", "updated_at", "curator_edited_fields", "name", "name_key"],
        author_rows,
    )

    phases = list(Phase.objects.values_list("id", flat=True))
    challenges = list(Challenge.objects.values_list("id", "phase_id"))
    directions = list(ResearchDirection.objects.values_list("id", "phase_id"))
    paper_rows, authorships, categories, placements = [], [], [], []
    used_arxiv = set(
        Paper.objects.filter(arxiv_id__isnull=False).values_list("arxiv_id", flat=True)
    )
    placement_id = 1_000_000
    for n in range(papers):
        pk = first_paper + n
        year = rng.choices(range(2018, 2026), weights=[1, 2, 3, 5, 8, 14, 20, 22])[0]
        published = datetime(year, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(31_536_000))
        while True:
            arxiv = f"{published:%y%m}.{rng.randrange(100000):05d}"
            if arxiv not in used_arxiv:
                used_arxiv.add(arxiv)
                break
        status = rng.choices(["included", "inbox", "excluded"], weights=[85, 12, 3])[0]
        topic = rng.choice(TOPICS)
        text = title(rng, topic)
        team = rng.sample(
            author_ids, rng.choices(range(1, 9), weights=[5, 12, 18, 20, 16, 12, 9, 8])[0]
        )
        primary = rng.choices(CATEGORIES, weights=[55, 15, 12, 8, 5, 3, 1, 1])[0]
        venue = rng.choice(VENUES) + f" {year + 1}" if rng.random() < 0.25 else ""
        paper_rows.append(
            (
                pk, now, now, "[]", arxiv, rng.randint(1, 4), "[]",
                f"10.48550/bench.{pk}" if rng.random() < 0.3 else None,
                text, fold(text)[:255], abstract(rng, topic),
                "; ".join(author_names[a] for a in team),
                published.isoformat(), published.isoformat(), year, primary, "", venue, "",
                "", "", "", "{}", status, "off topic" if status == "excluded" else "",
                now if status == "included" else None, "arxiv", "", "", "", False, "",
            )
        )  # fmt: skip
        authorships += [(pk, author, position, "") for position, author in enumerate(team)]
        extra = rng.sample(CATEGORIES, rng.randint(0, 2))
        categories += [(pk, code) for code in dict.fromkeys([primary, *extra])]
        phase = rng.choice(phases)
        targets = [("phase", phase, None, None)]
        mine = [c for c in challenges if c[1] == phase]
        if mine and rng.random() < 0.6:
            challenge = rng.choice(mine)
            targets.append(("challenge", phase, challenge[0], None))
        ours = [d for d in directions if d[1] == phase]
        if ours and rng.random() < 0.3:
            targets.append(("direction", phase, None, rng.choice(ours)[0]))
        for index, (_kind, phase_id, challenge_id, direction_id) in enumerate(targets):
            suggested = index > 0 and rng.random() < 0.25
            placement_id += 1
            placements.append(
                (
                    placement_id, now, now, "suggested" if suggested else "curator",
                    round(rng.random(), 3) if suggested else None, "",
                    "pending" if suggested else "accepted", None if suggested else now,
                    challenge_id, direction_id, pk, phase_id,
                )
            )  # fmt: skip
    print(f"generated {papers} papers in memory ({time.perf_counter() - started:.0f} s)")

    # Placements first, with triggers and foreign-key checks off for that one COPY: the
    # placement triggers would recompute the search document of every paper (each reading
    # the placements, whose statistics do not yet know they hold rows); once analysed, the
    # papers' own insert trigger reads each paper's placements through the paper_id index.
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    copy(
        "papers_placement",
        [
            "id", "created_at", "updated_at", "origin", "confidence", "evidence", "review_state",
            "reviewed_at", "challenge_id", "direction_id", "paper_id", "phase_id",
        ],
        placements,
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("ANALYZE papers_placement")
    copy(
        "papers_paper",
        [
            "id", "created_at", "updated_at", "curator_edited_fields", "arxiv_id",
            "arxiv_version", "arxiv_versions", "doi", "title", "title_key", "abstract",
            "author_names", "published_at", "revised_at", "year", "primary_category",
            "journal_ref", "venue", "comment", "license", "bibtex_key", "bibtex_type",
            "bibtex_fields", "status", "status_reason", "included_at", "source",
            "kind", "code_url", "oa_url", "record_incomplete", "curator_note",
        ],
        paper_rows,
    )  # fmt: skip
    copy("papers_authorship", ["paper_id", "author_id", "position", "affiliation"], authorships)
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO papers_category (code, name) VALUES (%s, '') ON CONFLICT DO NOTHING",
            [(code,) for code in CATEGORIES],
        )
    copy("papers_paper_categories", ["paper_id", "category_id"], categories)
    # The placements went in with triggers off (above), so the summary of counts is rebuilt
    # from scratch: the repair a load that bypassed the triggers (or a restored dump) needs.
    call_command("recount_papers", stdout=io.StringIO())
    with connection.cursor() as cursor:
        for table in ("papers_paper", "papers_author", "papers_authorship", "papers_placement"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        cursor.execute("VACUUM ANALYZE")  # fresh statistics for the planner
    counts = {
        "papers": len(paper_rows),
        "authors": len(author_rows),
        "authorships": len(authorships),
        "categories": len(categories),
        "placements": len(placements),
    }
    elapsed = time.perf_counter() - started
    print(" ".join(f"{k}={v}" for k, v in counts.items()), f"in {elapsed:.0f} s")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--authors", type=int, default=None, help="default: 0.6 per paper")
    parser.add_argument("--seed", type=int, default=20261125)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sellm.settings")
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    import django

    django.setup()
    generate(args.papers, args.authors or authors_for(args.papers), args.seed)


def authors_for(papers: int) -> int:
    """60,000 authors for 100,000 papers, as in the field's author-to-paper ratio here."""
    return max(100, papers * 6 // 10)


if __name__ == "__main__":
    main()
