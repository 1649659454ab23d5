from rest_framework.pagination import PageNumberPagination


class PagePagination(PageNumberPagination):
    """``?page=2&page_size=50``; answers carry ``count``, ``next`` and ``previous`` links."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
