from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination


class PagePagination(PageNumberPagination):
    """``?page=2&page_size=50``; answers carry ``count``, ``next`` and ``previous`` links.

    A page or size that is not a whole number in range is a 400 naming the parameter (DRF
    would quietly serve page 1 or the default size instead); a page past the last is a 404.
    """

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    last_page_strings = ()

    def get_page_number(self, request, paginator):
        return _whole_number(request, self.page_query_param, default=1)

    def get_page_size(self, request):
        return _whole_number(
            request, self.page_size_query_param, default=self.page_size, most=self.max_page_size
        )

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters


def _whole_number(request, name: str, *, default: int, most: int | None = None) -> int:
    value = request.query_params.get(name)
    if value is None:
        return default
    field = serializers.IntegerField(min_value=1, max_value=most)
    try:
        return field.run_validation(value)
    except serializers.ValidationError as error:
        raise serializers.ValidationError({name: error.detail}) from error
