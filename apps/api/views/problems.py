from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from apps.api.problems import all_problem_types, problem_type_uri


@require_GET
def problem_type(request: HttpRequest, code: str) -> JsonResponse:
    """What a problem ``type`` means: the URI in every error answer leads here."""
    problem = all_problem_types().get(code)
    if problem is None:
        raise Http404
    return JsonResponse(
        {
            "type": problem_type_uri(problem.code),
            "title": problem.title,
            "status": problem.status,
            "description": problem.description,
        }
    )
