"""Referral pages in /staff/: the form on a case, the inbox and outbox, one referral with its
questions and answers, and one POST endpoint per step.

Only members of the referring or the receiving organisation reach a referral (404 for anyone
else). Before accepting, the receiver sees the summary, target group and district only: no case
code and no link to the case. Every page that shows a referral is audited, as is every step.
Forms work without JavaScript (POST, then a redirect; refused input comes back as typed); with
htmx they swap the referral in place. Titles never name the case.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from conferences import cases, referral_forms, referrals, services
from conferences.models import AuditEvent, Referral


@login_required
def referral_create(request, public_id):
    case, access = cases.case_get_changeable(user=request.user, public_id=public_id)
    if request.method == "POST":
        form = referral_forms.ReferralForm(request.POST, case=case, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                referral = referrals.referral_send(
                    case=case,
                    user=request.user,
                    from_organisation=data["from_organisation"],
                    to_organisation=data["to_organisation"],
                    summary=data["summary"],
                    meeting=data["meeting"],
                )
            except (services.SharingRefused, referrals.ReferralRefused) as refused:
                form.add_error(None, refused.message)
            else:
                return redirect(referrals.referral_url(referral))
    else:
        form = referral_forms.ReferralForm(case=case, user=request.user)
    cases.case_audit(
        user=request.user,
        case=case,
        access=access,
        action=AuditEvent.Action.VIEW,
        detail="referral:form",
    )
    return render(
        request,
        "conferences/referral_form.html",
        {
            "case": case,
            "form": form,
            "earlier": referrals.referrals_of_case(case=case),
        },
    )


@login_required
def referral_list(request):
    inbox = list(referrals.inbox(user=request.user)[:200])
    outbox = list(referrals.outbox(user=request.user)[:200])
    # Both lists show case information (the outbox its code, both the district and group).
    seen = {r.case_id: r.to_organisation_id for r in inbox}
    seen.update({r.case_id: r.from_organisation_id for r in outbox})
    if seen:
        services.audit_record_many(
            user=request.user,
            case_organisations=seen,
            action=AuditEvent.Action.VIEW,
            detail="referral:list",
        )
    return render(
        request,
        "conferences/referral_list.html",
        {
            "inbox": inbox,
            "outbox": outbox,
            "waiting": sum(1 for r in inbox if r.status == Referral.Status.SENT),
        },
    )


def _detail_page(request, referral, side, organisation, *, bound=None, status=200):
    referrals.referral_read(referral=referral, user=request.user, organisation=organisation)
    forms = {}
    if side == "receiver" and referral.status == Referral.Status.SENT:
        forms = {
            "accept": referral_forms.AcceptForm(),
            "decline": referral_forms.DeclineForm(),
            "ask": referral_forms.MessageForm(),
        }
    elif side == "receiver" and referral.status == Referral.Status.ACCEPTED:
        forms = {"done": referral_forms.DoneForm(initial={"started_on": timezone.localdate()})}
    elif side == "sender" and referral.messages.exists():
        forms = {"answer": referral_forms.MessageForm()}
    forms.update(bound or {})
    case_link = side == "sender" or referral.status in (
        Referral.Status.ACCEPTED,
        Referral.Status.DONE,
    )
    return render(
        request,
        "conferences/referral_detail.html",
        {
            "referral": referral,
            "side": side,
            "organisation": organisation,
            "messages_thread": referral.messages.select_related("author", "organisation"),
            "forms": forms,
            "case_link": case_link,
        },
        status=status,
    )


@login_required
def referral_detail(request, uuid):
    referral, side, organisation = referrals.referral_get(user=request.user, uuid=uuid)
    return _detail_page(request, referral, side, organisation)


def _step(request, uuid, *, side_required, form_class, form_key, act):
    referral, side, organisation = referrals.referral_get(user=request.user, uuid=uuid)
    if side != side_required:
        raise Http404
    if request.method != "POST":
        return redirect(referrals.referral_url(referral))
    form = form_class(request.POST)
    if form.is_valid():
        try:
            act(referral, form.cleaned_data)
        except referrals.ReferralRefused as refused:
            form.add_error(None, refused.message)
        except services.SharingRefused as refused:
            form.add_error(None, refused.message)
        else:
            return redirect(referrals.referral_url(referral))
    referral.refresh_from_db()
    return _detail_page(request, referral, side, organisation, bound={form_key: form})


@login_required
def referral_accept(request, uuid):
    def act(referral, data):
        referrals.referral_accept(referral=referral, user=request.user, role=data["role"])

    return _step(
        request, uuid, side_required="receiver", form_class=referral_forms.AcceptForm,
        form_key="accept", act=act,
    )  # fmt: skip


@login_required
def referral_decline(request, uuid):
    def act(referral, data):
        referrals.referral_decline(referral=referral, user=request.user, reason=data["reason"])

    return _step(
        request, uuid, side_required="receiver", form_class=referral_forms.DeclineForm,
        form_key="decline", act=act,
    )  # fmt: skip


@login_required
def referral_ask(request, uuid):
    def act(referral, data):
        referrals.referral_ask(referral=referral, user=request.user, text=data["text"])

    return _step(
        request, uuid, side_required="receiver", form_class=referral_forms.MessageForm,
        form_key="ask", act=act,
    )  # fmt: skip


@login_required
def referral_answer(request, uuid):
    def act(referral, data):
        referrals.referral_answer(referral=referral, user=request.user, text=data["text"])

    return _step(
        request, uuid, side_required="sender", form_class=referral_forms.MessageForm,
        form_key="answer", act=act,
    )  # fmt: skip


@login_required
def referral_done(request, uuid):
    def act(referral, data):
        referrals.referral_done(referral=referral, user=request.user, started_on=data["started_on"])

    return _step(
        request, uuid, side_required="receiver", form_class=referral_forms.DoneForm,
        form_key="done", act=act,
    )  # fmt: skip
