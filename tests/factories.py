"""factory_boy factories for every model; derived columns (title_key, author_names) are kept
consistent the same way the services keep them."""

import factory
from django.utils import timezone

from apps.core.text import fold
from apps.ingestion.models import HarvestSource, IngestRun
from apps.papers.models import Author, Authorship, Category, Paper, Placement
from apps.papers.services.upsert import AUTHOR_SEPARATOR, author_key
from apps.taxonomy.models import Challenge, Phase, ResearchDirection, StatusTopic


class PhaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Phase

    order = factory.Sequence(lambda n: n + 100)
    slug = factory.Sequence(lambda n: f"phase-{n}")
    name = factory.Sequence(lambda n: f"Phase {n}")
    summary = "What this phase is about."
    keywords = factory.LazyFunction(lambda: ["testing"])


class StatusTopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StatusTopic

    phase = factory.SubFactory(PhaseFactory)
    name = factory.Sequence(lambda n: f"Topic {n}")


class ChallengeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Challenge

    phase = factory.SubFactory(PhaseFactory)
    slug = factory.Sequence(lambda n: f"challenge-{n}")
    name = factory.Sequence(lambda n: f"Challenge {n}")
    summary = "A hard problem."


class ResearchDirectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResearchDirection
        skip_postgeneration_save = True

    phase = factory.SubFactory(PhaseFactory)
    slug = factory.Sequence(lambda n: f"direction-{n}")
    name = factory.Sequence(lambda n: f"Direction {n}")

    @factory.post_generation
    def challenges(self, create: bool, extracted: list | None, **kwargs: object) -> None:
        if create and extracted:
            self.challenges.add(*extracted)


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author
        django_get_or_create = ("name_key",)

    name = factory.Faker("name")
    name_key = factory.LazyAttribute(lambda o: author_key(o.name))


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = "cs.SE"


class PaperFactory(factory.django.DjangoModelFactory):
    """An included paper; `authors=3` adds three authors in order."""

    class Meta:
        model = Paper
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Testing large language models, part {n}")
    title_key = factory.LazyAttribute(lambda o: fold(o.title)[:255])
    abstract = factory.Faker("paragraph")
    # 2912.x: a month no real arXiv id (or seed paper) has, so sequences never collide
    arxiv_id = factory.Sequence(lambda n: f"2912.{n:05d}")
    arxiv_version = factory.LazyAttribute(lambda o: 1 if o.arxiv_id else None)
    year = 2024
    published_at = factory.LazyFunction(timezone.now)
    primary_category = "cs.SE"
    status = Paper.Status.INCLUDED
    included_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status == Paper.Status.INCLUDED else None
    )
    source = Paper.Source.ARXIV

    @factory.post_generation
    def authors(self, create: bool, extracted: int | list[str] | None, **kwargs: object) -> None:
        if not create or not extracted:
            return
        names = extracted if isinstance(extracted, list) else None
        count = len(names) if names else int(extracted)
        authors = [AuthorFactory(name=names[i]) if names else AuthorFactory() for i in range(count)]
        Authorship.objects.bulk_create(
            Authorship(paper=self, author=author, position=i) for i, author in enumerate(authors)
        )
        self.author_names = AUTHOR_SEPARATOR.join(a.name for a in authors)
        self.save(update_fields=["author_names"])


class PlacementFactory(factory.django.DjangoModelFactory):
    """An accepted curator placement into a phase (pass challenge= or direction= to retarget;
    the phase follows)."""

    class Meta:
        model = Placement

    paper = factory.SubFactory(PaperFactory)
    challenge = None
    direction = None
    phase = factory.LazyAttribute(
        lambda o: (
            (o.direction or o.challenge).phase if (o.direction or o.challenge) else PhaseFactory()
        )
    )
    origin = Placement.Origin.CURATOR
    review_state = Placement.ReviewState.ACCEPTED
    reviewed_at = factory.LazyFunction(timezone.now)


class HarvestSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HarvestSource

    name = factory.Sequence(lambda n: f"Source {n}")
    kind = HarvestSource.Kind.ARXIV_QUERY
    query = 'cat:cs.SE AND abs:"large language model"'


class IngestRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IngestRun

    kind = IngestRun.Kind.ARXIV_IDS
    parameters = factory.LazyFunction(lambda: {"ids": ["2401.00001"]})
