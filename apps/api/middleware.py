from apps.api.problems import api_not_found, is_api_request


class ApiNotFoundMiddleware:
    """Unknown URLs under /api/ answer problem JSON, also with DEBUG on (where Django shows
    its technical HTML page for a URL that matches nothing, instead of calling handler404)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 404
            and is_api_request(request)
            and "json" not in response.get("Content-Type", "")
        ):
            return api_not_found(request)
        return response
