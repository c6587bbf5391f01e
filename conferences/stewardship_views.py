"""Keeping the directory true (resources.stewardship), the staff pages that need memberships:
the keeper's queue (entries due for verification, proposed changes, residents' reports), "still
correct", the correction form, the review of a proposal, and "propose a change" for a member of
the organisation.

Who keeps an entry is known from its keeper organisation (membership) or keeper user, or from
resources.change_organisation (directory editors keep everything). Pages about an entry the user
does not keep, or a proposal for an organisation they are not a member of, are 404s. Every form
is a plain POST with a redirect; "still correct" swaps its row in place with htmx.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from conferences.selectors import user_organisation_ids
from resources import services, stewardship
from resources.models import ChangeProposal, CorrectionReport, Organisation

QUEUE_PAGE_SIZE = 50


class CorrectForm(forms.ModelForm):
    """The fields a keeper corrects from the queue, with the version they started from."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    website = forms.URLField(
        label=gettext_lazy("website"), max_length=200, required=False, assume_scheme="https"
    )

    class Meta:
        model = Organisation
        fields = list(stewardship.CORRECTABLE_FIELDS)
        widgets = {"description": forms.Textarea(attrs={"rows": 5, "cols": 60})}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version


class ProposeForm(CorrectForm):
    version = None
    note = forms.CharField(
        label=gettext_lazy("Note for the keeper"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=gettext_lazy("Why the change is needed, or where the keeper can check it."),
    )


class ReviewForm(forms.Form):
    """Accept or reject each proposed field; a rejection needs a reason."""

    ACCEPT, REJECT = "accept", "reject"

    def __init__(self, *args, proposal: ChangeProposal, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.proposal = proposal
        self.rows = []
        stored = stewardship.snapshot(proposal.organisation)
        for name in proposal.changes:
            self.fields[f"decision_{name}"] = forms.ChoiceField(
                label=_("Decision"),
                choices=[(self.ACCEPT, _("Accept")), (self.REJECT, _("Reject"))],
                widget=forms.RadioSelect,
            )
            self.fields[f"reason_{name}"] = forms.CharField(
                label=_("Reason"), required=False, max_length=500
            )
            self.rows.append(
                {
                    "name": name,
                    "label": stewardship.field_label(name),
                    "previous": proposal.previous.get(name, ""),
                    "proposed": proposal.changes[name],
                    "stored": stored.get(name, ""),
                    "decision": self[f"decision_{name}"],
                    "reason": self[f"reason_{name}"],
                }
            )

    def clean(self):
        data = super().clean()
        for name in self.proposal.changes:
            decision = data.get(f"decision_{name}")
            if decision == self.REJECT and not (data.get(f"reason_{name}") or "").strip():
                self.add_error(f"reason_{name}", _("Give the reason the change is rejected."))
        return data

    def decisions(self) -> dict[str, tuple[bool, str]]:
        return {
            name: (
                self.cleaned_data[f"decision_{name}"] == self.ACCEPT,
                self.cleaned_data[f"reason_{name}"].strip(),
            )
            for name in self.proposal.changes
        }


class CloseReportForm(forms.Form):
    resolution = forms.CharField(
        label=gettext_lazy("What was done"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 50}),
    )


def _kept(request):
    return stewardship.kept_by(
        user=request.user, organisation_ids=user_organisation_ids(user=request.user)
    )


def _kept_entry(request, uuid) -> Organisation:
    """The entry, if the user keeps it; 404 otherwise."""
    try:
        return _kept(request).get(uuid=uuid)
    except Organisation.DoesNotExist:
        raise Http404 from None


@login_required
def queue(request):
    ids = user_organisation_ids(user=request.user)
    mine_only = request.GET.get("mine") == "1"
    entries = stewardship.kept_by(user=request.user, organisation_ids=ids, mine_only=mine_only)
    due = stewardship.verification_queue(
        user=request.user, organisation_ids=ids, mine_only=mine_only
    )
    page = Paginator(due, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "conferences/stewardship_queue.html",
        {
            "page_obj": page,
            "due": page.object_list,
            "months": stewardship.verify_months(),
            "proposals": stewardship.pending_proposals(entries=entries),
            "reports": stewardship.open_reports(entries=entries),
            "keeps_everything": stewardship.keeps_everything(user=request.user),
            "mine_only": mine_only,
            "close_form": CloseReportForm(),
        },
    )


@login_required
@require_POST
def entry_confirm(request, uuid):
    organisation = _kept_entry(request, uuid)
    stewardship.entry_verify(organisation=organisation, user=request.user)
    if request.htmx:
        return render(
            request,
            "conferences/stewardship_queue.html#confirmed",
            {"organisation": organisation},
        )
    messages.success(
        request,
        _("%(name)s: recorded as still correct.") % {"name": organisation.name},
    )
    return redirect("staff:stewardship_queue")


@login_required
def entry_correct(request, uuid):
    organisation = _kept_entry(request, uuid)
    stored = None
    if request.method == "POST":
        form = CorrectForm(request.POST, instance=Organisation.objects.get(pk=organisation.pk))
        if form.is_valid():
            try:
                stewardship.entry_correct(
                    organisation=organisation,
                    user=request.user,
                    version=form.cleaned_data["version"],
                    fields=form.cleaned_data,
                )
            except services.StaleEntry as stale:
                # Keep what was typed, show what is stored now, carry the stored version.
                stored = stale.current
                data = request.POST.copy()
                data["version"] = stored.version
                form = CorrectForm(data, instance=Organisation.objects.get(pk=organisation.pk))
                form.is_valid()
                form.add_error(
                    None,
                    _(
                        "Someone else changed this entry while you were correcting it. What is "
                        "stored now is shown beside the form; your corrections are still in the "
                        "form. Check them and save again."
                    ),
                )
            else:
                messages.success(
                    request,
                    _("%(name)s: corrected and recorded as checked today.")
                    % {"name": organisation.name},
                )
                return redirect("staff:stewardship_queue")
    else:
        form = CorrectForm(instance=organisation)
    return render(
        request,
        "conferences/stewardship_correct.html",
        {
            "organisation": organisation,
            "form": form,
            "stored": stored,
            "changed": _changed_fields(form, stored),
        },
    )


def _changed_fields(form, stored) -> list[dict]:
    """After a refused save: the fields someone else changed, with what is stored now."""
    if stored is None:
        return []
    rows = []
    for name in stewardship.CORRECTABLE_FIELDS:
        now = getattr(stored, name) or ""
        rows.append(
            {"label": form.fields[name].label, "stored": now, "differs": now != form[name].value()}
        )
    return rows


@login_required
def proposal_review(request, uuid):
    try:
        proposal = stewardship.proposal_get(uuid=uuid)
    except ChangeProposal.DoesNotExist:
        raise Http404 from None
    if not stewardship.is_keeper(
        organisation=proposal.organisation,
        user=request.user,
        organisation_ids=user_organisation_ids(user=request.user),
    ):
        raise Http404
    form = ReviewForm(request.POST or None, proposal=proposal)
    reviewed = proposal.status != ChangeProposal.Status.PENDING
    if request.method == "POST" and not reviewed and form.is_valid():
        try:
            stewardship.proposal_review(
                proposal=proposal, user=request.user, decisions=form.decisions()
            )
        except stewardship.AlreadyReviewed:
            form.add_error(None, _("Someone else reviewed this proposal first."))
            proposal.refresh_from_db()
            reviewed = True
        except services.StaleEntry:
            form.add_error(
                None, _("Someone else changed the entry at the same moment. Review it again.")
            )
        else:
            messages.success(request, _("The review is recorded."))
            return redirect("staff:stewardship_queue")
    return render(
        request,
        "conferences/stewardship_review.html",
        {"proposal": proposal, "form": form, "reviewed": reviewed},
    )


@login_required
@require_POST
def report_close(request, uuid):
    try:
        report = stewardship.report_get(uuid=uuid)
    except CorrectionReport.DoesNotExist:
        raise Http404 from None
    if not stewardship.is_keeper(
        organisation=report.organisation,
        user=request.user,
        organisation_ids=user_organisation_ids(user=request.user),
    ):
        raise Http404
    form = CloseReportForm(request.POST)
    resolution = form.cleaned_data["resolution"] if form.is_valid() else ""
    if stewardship.report_close(report=report, user=request.user, resolution=resolution):
        messages.success(request, _("The report is marked as dealt with."))
    else:
        messages.info(request, _("Someone else had already dealt with this report."))
    return redirect("staff:stewardship_queue")


@login_required
def proposal_create(request, uuid):
    """A member of the organisation proposes changes to its own entry."""
    ids = user_organisation_ids(user=request.user)
    try:
        organisation = Organisation.objects.get(uuid=uuid, pk__in=ids)
    except Organisation.DoesNotExist:
        raise Http404 from None
    form = ProposeForm(request.POST or None, instance=Organisation.objects.get(pk=organisation.pk))
    if request.method == "POST" and form.is_valid():
        try:
            stewardship.proposal_create(
                organisation=organisation,
                user=request.user,
                changes={name: form.cleaned_data[name] for name in stewardship.CORRECTABLE_FIELDS},
                note=form.cleaned_data["note"],
            )
        except stewardship.NothingProposed:
            form.add_error(None, _("Nothing was changed: change at least one field."))
        else:
            messages.success(request, _("Your proposal was sent to the entry's keeper for review."))
            return redirect("staff:stewardship_propose", organisation.uuid)
    return render(
        request,
        "conferences/stewardship_propose.html",
        {
            "organisation": organisation,
            "form": form,
            "proposals": [
                {
                    "proposal": proposal,
                    "decisions": [
                        (stewardship.field_label(name), decision)
                        for name, decision in proposal.decisions.items()
                    ],
                }
                for proposal in stewardship.proposals_of(organisation=organisation)[:20]
            ],
        },
    )
