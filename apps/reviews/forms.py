"""Input shapes for reviews: the patient's review, a moderator's reason, a doctor's reply.
They validate the shape; the services apply the rules (window, banned words, once)."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from apps.accounts.forms import RadiosWidget
from apps.reviews.exceptions import RATING_OUT_OF_RANGE
from apps.reviews.models import (
    COMMENT_MAX_LENGTH,
    HIDDEN_REASON_MAX_LENGTH,
    REPLY_MAX_LENGTH,
    SUB_RATING_LABELS,
)

STAR_CHOICES = [
    (5, _("5 stars: excellent")),
    (4, _("4 stars: good")),
    (3, _("3 stars: all right")),
    (2, _("2 stars: poor")),
    (1, _("1 star: very poor")),
]


def _star_label(n: int) -> str:
    return ngettext_lazy("%(n)s star", "%(n)s stars", n) % {"n": n}


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How was your visit overall?"),
        choices=STAR_CHOICES,
        coerce=int,
        widget=RadiosWidget,
        error_messages={"required": RATING_OUT_OF_RANGE, "invalid_choice": RATING_OUT_OF_RANGE},
    )
    comment = forms.CharField(
        label=_("Tell other patients about your visit"),
        help_text=_(
            "Up to %(limit)s characters. Please do not include names of other patients or "
            "details of your health you would not want to share."
        )
        % {"limit": COMMENT_MAX_LENGTH},
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The sub-ratings after the overall rating, before the comment.
        fields = {"rating": self.fields.pop("rating")}
        for name, label in SUB_RATING_LABELS:
            fields[name] = forms.TypedChoiceField(
                label=label,
                choices=[("", _("No answer"))] + [(n, _star_label(n)) for n in range(5, 0, -1)],
                coerce=int,
                empty_value=None,
                required=False,
                error_messages={"invalid_choice": RATING_OUT_OF_RANGE},
            )
        fields["comment"] = self.fields.pop("comment")
        self.fields = fields


class HideForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is this review hidden?"),
        help_text=_("Kept with the review and in the audit log; the patient is not told."),
        max_length=HIDDEN_REASON_MAX_LENGTH,
    )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your public reply"),
        help_text=_("Shown under the review on your page. You can reply once."),
        max_length=REPLY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
