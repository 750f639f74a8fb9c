"""Every route the URL resolver knows, classified by who may read and write it, and a world
of real objects to fill their path parameters (see test_route_permissions.py)."""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from apps.core.api.tokens import api_token_issue
from apps.core.services import curator_create
from apps.ingestion.bibtex.services import bibtex_import_start
from apps.listings.services import listing_freeze
from apps.papers.models import Placement
from tests.factories import (
    CategoryFactory,
    ChallengeFactory,
    HarvestSourceFactory,
    IngestRunFactory,
    PaperFactory,
    PhaseFactory,
    PlacementFactory,
    ResearchDirectionFactory,
    StatusTopicFactory,
)

ROLES = ("anon", "reader", "curator", "superuser")
UNSAFE = ("post", "put", "patch", "delete")
LOGIN = "302 to the admin login"


@dataclass(frozen=True)
class Route:
    pattern: str  # the full pattern, as the resolver concatenates it
    name: str  # namespaced URL name; "" when unnamed
    view: str


@dataclass(frozen=True)
class Rule:
    """Who gets what on one route. `get` maps each role to a status (or LOGIN); `refused` maps
    each role to the statuses an unsafe method may answer with (the request must not write);
    `writes` maps the roles that may write to (method, expected status) for a harmless write
    — an empty body the view must reject only after authorizing it, or a review action."""

    kind: str
    get: dict[str, int | str]
    refused: dict[str, set[int | str]]
    params: Callable[[dict], dict] = lambda world: {}
    writes: dict[str, tuple[str, int]] = field(default_factory=dict)


def walk(patterns: list, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, (namespace, entry.namespace)))
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = ":".join(filter(None, (namespace, entry.name))) if entry.name else ""
            yield Route(prefix + str(entry.pattern), name, entry.lookup_str)


def all_routes() -> list[Route]:
    return list(walk(get_resolver().url_patterns))


# --- Expectations, by kind -------------------------------------------------------------------

EVERYONE_200 = dict.fromkeys(ROLES, 200)
NOT_ALLOWED = {role: {405} for role in ROLES}  # public HTML: GET only, for everyone
API_READ_ONLY = {"anon": {401, 405}, "reader": {403, 405}, "curator": {405}, "superuser": {405}}
API_CURATORS_WRITE = {"anon": {401}, "reader": {403}}
API_CURATORS_ONLY_GET = {"anon": 401, "reader": 403, "curator": 200, "superuser": 200}
ADMIN_REFUSED = {"anon": {LOGIN}, "reader": {LOGIN}}
CURATED_ADMIN_GET = {"anon": LOGIN, "reader": LOGIN, "curator": 200, "superuser": 200}
STAFF_ADMIN_GET = {"anon": LOGIN, "reader": LOGIN, "curator": 403, "superuser": 200}


def public(params: Callable[[dict], dict] = lambda world: {}) -> Rule:
    return Rule("public HTML", EVERYONE_200, NOT_ALLOWED, params)


def api_read_only(params: Callable[[dict], dict] = lambda world: {}) -> Rule:
    return Rule("public API, read only", EVERYONE_200, API_READ_ONLY, params)


def api_writable(
    params: Callable[[dict], dict] = lambda world: {}, method: str = "post", status: int = 400
) -> Rule:
    return Rule(
        "public API, curators write",
        EVERYONE_200,
        API_CURATORS_WRITE,
        params,
        writes={"curator": (method, status), "superuser": (method, status)},
    )


def api_for_curators(params: Callable[[dict], dict] = lambda world: {}) -> Rule:
    return Rule(
        "curators' API",
        API_CURATORS_ONLY_GET,
        {**API_CURATORS_WRITE, "curator": {405}, "superuser": {405}},
        params,
    )


def slug(key: str) -> Callable[[dict], dict]:
    return lambda world: {"slug": world[key].slug}


def pk(key: str, name: str = "pk") -> Callable[[dict], dict]:
    return lambda world: {name: world[key].pk}


# Named routes outside the admin's per-model URLs.
RULES: dict[str, Rule] = {
    # Researchers' pages and feeds.
    "papers:home": public(),
    "papers:list": public(),
    "papers:bibtex": public(),
    "papers:ris": public(),
    "papers:csljson": public(),
    "papers:detail": public(pk("paper")),
    "papers:detail-bibtex": public(pk("paper")),
    "papers:detail-ris": public(pk("paper")),
    "papers:detail-csljson": public(pk("paper")),
    "papers:author": public(pk("author")),
    "papers:gaps": public(),
    "papers:feed": public(),
    "papers:phase-feed": public(slug("phase")),
    "papers:challenge-feed": public(slug("challenge")),
    "core:about": public(),
    "taxonomy:phase": public(slug("phase")),
    "taxonomy:challenge": public(slug("challenge")),
    "taxonomy:direction": public(slug("direction")),
    "papers:authors": public(),
    "taxonomy:phases": public(),
    "taxonomy:challenges": public(),
    "taxonomy:directions": public(),
    # The REST API.
    "api:api-root": api_read_only(),
    "api:stats": api_read_only(lambda world: {"query": "group_by=phase"}),
    "api:gaps": api_read_only(),
    "papers:direction-feed": public(slug("direction")),
    # Listings and the PRISMA flow: public reads; curators freeze (a POST of the form).
    "listings:list": public(),
    "listings:detail": public(slug("listing")),
    "listings:bibtex": public(slug("listing")),
    "listings:ris": public(slug("listing")),
    "listings:csl": public(slug("listing")),
    "listings:cite": public(slug("listing")),
    "listings:prisma": public(),
    "listings:new": Rule(
        "curators' HTML form",
        {"anon": LOGIN, "reader": 403, "curator": 200, "superuser": 200},
        {"anon": {LOGIN, 405}, "reader": {403, 405}},
        writes={"curator": ("post", 400), "superuser": ("post", 400)},  # an empty form
    ),
    "api:prisma": api_read_only(),
    "api:listing-list": api_writable(),  # curators freeze; an empty body is a 400
    "api:listing-detail": api_read_only(slug("listing")),
    "api-schema": api_read_only(),
    "api-docs": api_read_only(),
    "api:author-list": api_read_only(),
    "api:author-detail": api_read_only(pk("author")),
    "api:phase-list": api_writable(),
    "api:phase-detail": api_writable(slug("phase"), "put"),
    "api:challenge-list": api_writable(),
    "api:challenge-detail": api_writable(slug("challenge"), "put"),
    "api:direction-list": api_writable(),
    "api:direction-detail": api_writable(slug("direction"), "put"),
    "api:paper-list": api_writable(),
    "api:paper-detail": api_writable(pk("paper"), "put"),
    "api:placement-list": api_writable(),
    "api:placement-detail": api_writable(pk("placement"), "put"),
    "api:placement-accept": Rule(
        "public API, curators write",
        dict.fromkeys(ROLES, 405),  # a review is a POST
        API_CURATORS_WRITE,
        pk("pending_placement"),
        writes={"curator": ("post", 200), "superuser": ("post", 200)},
    ),
    "api:placement-reject": Rule(
        "public API, curators write",
        dict.fromkeys(ROLES, 405),
        API_CURATORS_WRITE,
        pk("pending_placement"),
        writes={"curator": ("post", 200), "superuser": ("post", 200)},
    ),
    "api:ingest": Rule(
        "curators' API",
        {"anon": 401, "reader": 403, "curator": 405, "superuser": 405},  # a POST starts one
        API_CURATORS_WRITE,
        writes={"curator": ("post", 400), "superuser": ("post", 400)},
    ),
    "api:refresh": Rule(
        "curators' API",
        {"anon": 401, "reader": 403, "curator": 405, "superuser": 405},  # a POST starts one
        API_CURATORS_WRITE,
        writes={"curator": ("post", 400), "superuser": ("post", 400)},
    ),
    "api:ingestrun-list": api_for_curators(),
    "api:ingestrun-detail": api_for_curators(pk("run")),
    "api:bibtex-import-list": Rule(
        "curators' API",
        API_CURATORS_ONLY_GET,
        API_CURATORS_WRITE,
        writes={"curator": ("post", 400), "superuser": ("post", 400)},
    ),
    "api:bibtex-import-detail": api_for_curators(pk("bibtex_import")),
    "api:ingestrun-resume": Rule(
        "curators' API",
        {"anon": 401, "reader": 403, "curator": 405, "superuser": 405},  # a POST resumes
        API_CURATORS_WRITE,
        pk("run"),
        writes={"curator": ("post", 409), "superuser": ("post", 409)},
    ),
    "api:harvestsource-list": api_for_curators(),
    "api:harvestsource-detail": api_for_curators(pk("source")),
    "api:harvestsource-run": Rule(
        "curators' API",
        {"anon": 401, "reader": 403, "curator": 405, "superuser": 405},  # a POST starts one
        API_CURATORS_WRITE,
        pk("source"),
        writes={"curator": ("post", 409), "superuser": ("post", 409)},
    ),
    # Admin pages that are not one model's standard views.
    "admin:index": Rule("admin", CURATED_ADMIN_GET, ADMIN_REFUSED),
    "admin:login": Rule(
        "admin login",
        {"anon": 200, "reader": 200, "curator": 302, "superuser": 302},  # staff go on in
        # an empty form is shown again with its errors; PATCH and DELETE are not allowed
        {"anon": {200, 405}, "reader": {200, 405}},
    ),
    "admin:logout": Rule(
        "admin logout",
        # logging out is a POST; non-staff are first sent back to the admin index
        {"anon": 302, "reader": 302, "curator": 405, "superuser": 405},
        {},  # POST is the logout itself: checked for every role in the login tests
    ),
    "admin:password_change": Rule("admin", CURATED_ADMIN_GET, ADMIN_REFUSED),
    "admin:password_change_done": Rule("admin", CURATED_ADMIN_GET, ADMIN_REFUSED),
    "admin:autocomplete": Rule(
        "admin",
        {"anon": LOGIN, "reader": LOGIN, "curator": 403, "superuser": 403},  # needs a field
        ADMIN_REFUSED,
    ),
    "admin:jsi18n": Rule("admin", CURATED_ADMIN_GET, ADMIN_REFUSED),
    "admin:view_on_site": Rule(
        "admin",
        # no model has a page of its own to link to (get_absolute_url), so: not found
        {"anon": LOGIN, "reader": LOGIN, "curator": 404, "superuser": 404},
        ADMIN_REFUSED,
        lambda world: {
            "content_type_id": ContentType.objects.get_for_model(world["paper"]).pk,
            "object_id": world["paper"].pk,
        },
    ),
    "admin:app_list": Rule(
        "admin", CURATED_ADMIN_GET, ADMIN_REFUSED, lambda world: {"app_label": "papers"}
    ),
    "admin:auth_user_password_change": Rule(
        "admin", STAFF_ADMIN_GET, ADMIN_REFUSED, lambda world: {"id": world["users"]["reader"].pk}
    ),
    "admin-api-token": Rule("admin", CURATED_ADMIN_GET, ADMIN_REFUSED),
    "admin-inbox": Rule("admin", CURATED_ADMIN_GET, ADMIN_REFUSED),
    "admin-inbox-accept": Rule(
        "admin",
        {"anon": LOGIN, "reader": LOGIN, "curator": 405, "superuser": 405},  # POST only
        ADMIN_REFUSED,
    ),
    "admin:ingestion_bibteximport_file": Rule(
        "admin", CURATED_ADMIN_GET, ADMIN_REFUSED, pk("bibtex_import")
    ),
    "admin:ingestion_ingestrun_add_arxiv_ids": Rule("admin", CURATED_ADMIN_GET, ADMIN_REFUSED),
    "admin:ingestion_ingestrun_health": Rule("admin", CURATED_ADMIN_GET, ADMIN_REFUSED),
    "admin:ingestion_ingestrun_resume": Rule(
        "admin",
        {"anon": LOGIN, "reader": LOGIN, "curator": 405, "superuser": 405},  # POST only
        ADMIN_REFUSED,
        pk("run", "run_id"),
    ),
}

# Unnamed routes, by pattern: the catch-alls and the admin's bare object URLs.
CATCH_ALLS: dict[str, Rule] = {
    "admin/(?P<url>.*)$": Rule(
        "admin",
        {"anon": LOGIN, "reader": LOGIN, "curator": 404, "superuser": 404},
        ADMIN_REFUSED,
        lambda world: {"url": "no/such/page/"},
    ),
    "api/v1/^.*$": Rule(
        "API not found", dict.fromkeys(ROLES, 404), {role: {404} for role in ROLES}
    ),
    "^api/": Rule("API not found", dict.fromkeys(ROLES, 404), {role: {404} for role in ROLES}),
}

# Apps whose admin pages curators use; the others are for superusers only.
CURATED_ADMIN_APPS = {"taxonomy", "papers", "ingestion"}
SUPERUSER_ADMIN_APPS = {"auth", "authtoken", "axes"}
STANDARD_ADMIN_VIEWS = ("changelist", "add", "history", "delete", "change", "simple_history")
# Views a model admin switches off for everyone: records that only machines write.
ADMIN_VIEWS_NOBODY_GETS = {
    "ingestion_ingestrun_add",
    "axes_accessattempt_add",
    "axes_accesslog_add",
    "axes_accessfailurelog_add",
}


def admin_model_rule(route: Route) -> Rule | None:
    """The rule for a registered model's standard admin views, or None."""
    registered = {f"{m._meta.app_label}_{m._meta.model_name}": m for m in admin.site._registry}
    match = re.fullmatch(r"admin:(\w+?)_(" + "|".join(STANDARD_ADMIN_VIEWS) + ")", route.name)
    bare = re.fullmatch(r"admin/(\w+)/(\w+)/<path:object_id>/", route.pattern)
    if match and match.group(1) in registered:
        model, view = registered[match.group(1)], match.group(2)
    elif bare and not route.name and f"{bare.group(1)}_{bare.group(2)}" in registered:
        model, view = registered[f"{bare.group(1)}_{bare.group(2)}"], "bare"
    else:
        return None
    app = model._meta.app_label
    refused: dict[str, set[int | str]] = dict(ADMIN_REFUSED)
    if app in CURATED_ADMIN_APPS:
        get = dict(CURATED_ADMIN_GET)
    elif app in SUPERUSER_ADMIN_APPS:
        get = dict(STAFF_ADMIN_GET)
        refused["curator"] = {403}  # curators write no users, groups, tokens or login records
    else:
        return None
    if view == "bare":  # the admin redirects /<id>/ to /<id>/change/ for anyone staff
        get.update(curator=302, superuser=302)
        refused.pop("curator", None)
    if route.name.removeprefix("admin:") in ADMIN_VIEWS_NOBODY_GETS:
        get.update(curator=403, superuser=403)

    def params(world: dict) -> dict:
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, f"the world has no {model.__name__} to request its admin pages"
        values = {"object_id": obj.pk}
        if view == "simple_history":
            values["history_id"] = obj.history.order_by("history_id").first().history_id
        return values

    return Rule("admin", get, refused, params)


def rule_for(route: Route) -> Rule | None:
    if route.name in RULES:
        return RULES[route.name]
    if not route.name and route.pattern in CATCH_ALLS:
        return CATCH_ALLS[route.pattern]
    return admin_model_rule(route)


def url_for(route: Route, values: dict) -> str:
    """The route's pattern with its parameters filled in (Django's path converters, named and
    positional regex groups)."""
    positional = iter(v for k, v in values.items() if k in ("object_id", "history_id"))

    def named(match: re.Match) -> str:
        return str(values[match.group(1)])

    url = re.sub(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)", named, route.pattern)
    url = re.sub(r"<(?:\w+:)?(\w+)>", named, url)
    url = re.sub(r"\(\[\^/\]\+\)", lambda _: str(next(positional)), url)
    url = url.replace("^", "").replace("$", "").replace(".*", "no-such-endpoint/")
    query = values.get("query", "")
    return "/" + url + (f"?{query}" if query else "")


# --- The world the routes are requested in ---------------------------------------------------


def build_world() -> dict:
    """One object of every model that a route names or the admin registers."""
    cache.clear()  # throttling counts and cached pages from earlier tests
    phase = PhaseFactory(slug="testing")
    StatusTopicFactory(phase=phase)
    challenge = ChallengeFactory(slug="oracle", phase=phase)
    direction = ResearchDirectionFactory(slug="fuzzing", phase=phase)
    CategoryFactory()
    paper = PaperFactory(authors=["Ada Lovelace"])
    curator = curator_create(username="curator", email="c@example.org", password="pw-curator")
    superuser = User.objects.create_superuser("root", "root@example.org", "pw-root")
    for user in (curator, superuser):
        api_token_issue(user=user)
    reader = User.objects.create_user("reader", "reader@example.org", "pw-reader")
    bibtex_file, _ = bibtex_import_start(
        data=b"@misc{k1, title={Routes}, author={Doe, Jane}, year={2024}}",
        filename="one.bib",
        actor=curator,
    )
    seen = {"username": "someone", "ip_address": "192.0.2.1", "user_agent": "test"}
    AccessAttempt.objects.create(**seen, failures_since_start=1)
    AccessFailureLog.objects.create(**seen)
    AccessLog.objects.create(**seen)
    source = HarvestSourceFactory()
    return {
        "phase": phase,
        "challenge": challenge,
        "direction": direction,
        "paper": paper,
        "author": paper.authorships.first().author,
        "placement": PlacementFactory(paper=paper, challenge=challenge),
        "pending_placement": PlacementFactory(
            paper=paper,
            direction=direction,
            origin=Placement.Origin.SUGGESTED,
            review_state=Placement.ReviewState.PENDING,
            reviewed_at=None,
        ),
        "run": IngestRunFactory(),  # pending: resuming it is refused (409)
        # a harvest of the source is under way, so "run now" is refused (409)
        "source": IngestRunFactory(source=source, kind="arxiv_query").source,
        "bibtex_import": bibtex_file,
        "listing": listing_freeze(title="Routes", query="", actor=curator),
        "users": {"reader": reader, "curator": curator, "superuser": superuser},
    }


def client_as(role: str, world: dict) -> Client:
    """Session-signed-in for the admin and HTML; curators' scripts also carry their token."""
    client = Client()
    if role == "anon":
        return client
    user = world["users"][role]
    client.force_login(user)
    if role in ("curator", "superuser"):
        token, _ = api_token_issue(user=user)
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {token.key}"
    return client


def row_counts() -> dict[str, int]:
    """Rows per model, sessions and login records aside: a refused request changes none."""
    skipped = {"sessions", "axes", "admin"}
    return {
        m._meta.label: m._default_manager.count()
        for m in apps.get_models()
        if m._meta.app_label not in skipped and not m._meta.proxy
    }


def answer(response) -> int | str:  # type: ignore[no-untyped-def]
    if response.status_code == 302 and response["Location"].startswith("/admin/login/?next="):
        return LOGIN
    return response.status_code
