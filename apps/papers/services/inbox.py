"""The curator's inbox: accept a suggested placement and include the paper in one step."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from apps.core.exceptions import ApplicationError
from apps.papers.models import Paper, Placement
from apps.papers.services.curation import paper_include, placement_review


@transaction.atomic
def placement_accept_and_include(*, placement_id: int, actor: AbstractBaseUser | None) -> Placement:
    """Accept one placement (typically a suggestion) and make its paper public.

    Without the inclusion an accepted placement stays invisible: the public sees included
    papers only. Safe to call twice (both steps are no-ops the second time). Raises
    ApplicationError for a placement that does not exist or that a curator rejected.
    """
    placement = (
        Placement.objects.select_for_update()
        .select_related("paper")
        .filter(pk=placement_id)
        .first()
    )
    if placement is None:
        raise ApplicationError(f"There is no placement with id {placement_id}.")
    if placement.review_state == Placement.ReviewState.REJECTED:
        raise ApplicationError("This placement was rejected; edit the paper to place it.")
    paper = Paper.objects.get(pk=placement.paper_id)
    if paper.status == Paper.Status.EXCLUDED:
        raise ApplicationError("The paper is excluded; include it from its page first.")
    placement_review(placements=[placement], accept=True, actor=actor)
    paper_include(papers=[paper], actor=actor)
    placement.refresh_from_db()
    return placement
