"""Project error handlers: problem JSON under /api/, the site's pages elsewhere."""

from django.views import defaults

from apps.api import problems


def bad_request(request, exception):
    if problems.is_api_request(request):
        return problems.api_bad_request(request)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if problems.is_api_request(request):
        return problems.api_permission_denied(request)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if problems.is_api_request(request):
        return problems.api_not_found(request)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if problems.is_api_request(request):
        return problems.api_server_error(request)
    return defaults.server_error(request)
