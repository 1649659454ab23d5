"""Helpers for back-office tests: admin URLs, form data as a browser would post it."""

from django import forms
from django.contrib.messages import get_messages
from django.db import models
from django.forms.models import model_to_dict
from django.urls import reverse


def admin_url(model, view: str, *args) -> str:
    """``admin_url(Booking, "changelist")``, ``admin_url(Booking, "change", pk)``."""
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def changelist_url(model) -> str:
    return admin_url(model, "changelist")


def change_url(obj, model=None) -> str:
    return admin_url(model or type(obj), "change", obj.pk)


def delete_url(obj, model=None) -> str:
    return admin_url(model or type(obj), "delete", obj.pk)


def listed_pks(response) -> set:
    """Primary keys of the rows a changelist response shows."""
    assert response.status_code == 200, response.status_code
    return {obj.pk for obj in response.context["cl"].result_list}


def assert_redirected_as_missing(response) -> None:
    """Django admin's answer for an object outside the queryset: back to the index."""
    assert response.status_code == 302, response.status_code
    assert response.url == reverse("admin:index")
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("doesn’t exist" in text for text in texts), texts


def snapshot(obj) -> dict:
    """The row as the database holds it now, many-to-many links included."""
    fresh = type(obj)._default_manager.get(pk=obj.pk)
    return model_to_dict(fresh)


def form_errors(response) -> dict:
    """Field errors of the admin form on a re-rendered change or add page."""
    assert response.status_code == 200, response.status_code
    return dict(response.context["adminform"].form.errors)


def admin_post_data(response) -> dict:
    """What the browser would post back, unchanged, from an admin change or add page.

    Covers the main form and every inline formset (management forms included), so a
    test can change one value and post the rest as the page showed it.
    """
    assert response.status_code == 200, response.status_code
    data: dict = {}
    _add_form(data, response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management[name].html_name] = management[name].value()
        for form in formset.forms:
            _add_form(data, form)
    return data


def _add_form(data: dict, form: forms.BaseForm) -> None:
    for bound in form:
        widget = getattr(bound.field.widget, "widget", bound.field.widget)  # admin wrappers
        value = bound.value()
        if isinstance(widget, forms.Select):
            # A browser can only send options the page offered, so a selected value that
            # is not among the choices is not sent (a single select falls back to blank).
            offered = {str(choice) for choice, _label in bound.field.choices}
            if isinstance(value, list | tuple):
                value = [v for v in value if _scalar(v) in offered]
            elif _scalar(value) not in offered:
                value = None
        if isinstance(widget, forms.MultiWidget):
            for index, part in enumerate(widget.decompress(value)):
                data[f"{bound.html_name}_{index}"] = _scalar(part)
        elif isinstance(widget, forms.CheckboxInput):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [_scalar(v) for v in value]
        else:
            data[bound.html_name] = _scalar(value)


def _scalar(value) -> str:
    if value is None:
        return ""
    if isinstance(value, models.Model):
        return str(value.pk)
    return str(value)
