from django import template

from apps.dashboard.permissions import can_view_dashboard

register = template.Library()


@register.filter
def sees_dashboard(user) -> bool:
    """Whether to link to the dashboard (the view checks again for itself)."""
    return can_view_dashboard(user)
