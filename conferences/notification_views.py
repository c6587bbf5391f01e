"""The in-app list of a user's notifications and their e-mail preference (digest, language)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from conferences import notifications, referral_forms


def _page(request, *, preference_form=None, status=200):
    page = Paginator(notifications.notifications_of(user=request.user), 50).get_page(
        request.GET.get("page")
    )
    for item in page.object_list:
        item.text = notifications.notification_text(item)
    if preference_form is None:
        preference = notifications.preference_of(request.user)
        preference_form = referral_forms.PreferenceForm(instance=preference)
    return render(
        request,
        "conferences/notification_list.html",
        {
            "page": page,
            "unread": notifications.unread_count(user=request.user),
            "preference_form": preference_form,
        },
        status=status,
    )


@login_required
def notification_list(request):
    return _page(request)


@login_required
@require_POST
def notification_read(request):
    pk = request.POST.get("pk", "")
    notifications.mark_read(user=request.user, pk=int(pk) if pk.isdigit() else None)
    return redirect(reverse("staff:notification_list"))


@login_required
def notification_preferences(request):
    if request.method != "POST":
        return redirect(reverse("staff:notification_list") + "#preferences")
    form = referral_forms.PreferenceForm(
        request.POST, instance=notifications.preference_of(request.user)
    )
    if not form.is_valid():
        return _page(request, preference_form=form, status=200)
    notifications.preference_save(
        user=request.user,
        daily_digest=form.cleaned_data["daily_digest"],
        language=form.cleaned_data["language"],
    )
    return redirect(reverse("staff:notification_list") + "#preferences")
