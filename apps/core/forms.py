"""One form look for the whole site: `{{ form }}` and `{{ field.as_field_group }}` render
through templates/forms/, with labels, hints and errors wired for screen readers."""

from django.forms.renderers import TemplatesSetting


class ClinixFormRenderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
