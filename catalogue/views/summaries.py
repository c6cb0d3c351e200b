"""Evidence summary pages: the portal listing them and one summary with its literature."""

from django import forms
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from catalogue import conf, summaries
from catalogue.models import Audience, EvidenceSummary, Keyword
from catalogue.search.params import list_page


class SummaryFilterForm(forms.Form):
    audience = forms.ChoiceField(
        label="Written for",
        required=False,
        choices=[("", "Any audience"), *Audience.choices],
        error_messages={
            "invalid_choice": "“%(value)s” is not an audience: choose patients, clinicians "
            "or both.",
        },
    )
    keyword = forms.ModelChoiceField(
        label="Keyword of the cited works",
        required=False,
        queryset=Keyword.objects.none(),
        to_field_name="slug",
        empty_label="Any keyword",
        error_messages={
            "invalid_choice": "No summary cites a work with this keyword: choose one from "
            "the list.",
        },
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Only the keywords that would find something are offered.
        cited = EvidenceSummary.objects.published().values("literature__article")
        self.fields["keyword"].queryset = Keyword.objects.filter(articles__in=cited).distinct()


def summary_list(request: HttpRequest) -> HttpResponse:
    """Return the portal: published summaries newest first, filtered by audience and keyword;
    a 400 naming the bad filter value."""
    form = SummaryFilterForm(request.GET)
    if not form.is_valid():
        context = {"form": form, "page_obj": None, "errors": form.errors}
        return render(request, "catalogue/summary_list.html", context, status=400)
    audience, keyword = form.cleaned_data["audience"], form.cleaned_data["keyword"]
    found = summaries.portal_summaries(audience=audience, keyword=keyword)
    page = Paginator(found, conf.get("CATALOGUE_PAGE_SIZE")).get_page(
        list_page(request.GET.get("page"))
    )
    filtered = bool(audience or keyword)
    return render(
        request,
        "catalogue/summary_list.html",
        {"form": form, "page_obj": page, "filtered": filtered},
    )


def summary_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Return one summary laid out like the portal's, with its literature in APA; drafts are
    shown to staff only (the admin's preview)."""
    try:
        summary = summaries.summary_with_literature(slug=slug, include_drafts=request.user.is_staff)
    except EvidenceSummary.DoesNotExist:
        raise Http404(f"There is no evidence summary at “{slug}”.") from None
    literature = summaries.render_literature(entries=summary.literature.all())
    return render(
        request,
        "catalogue/summary_detail.html",
        {
            "summary": summary,
            "body": summaries.render_markdown(text=summary.body),
            "literature": literature,
        },
    )
