"""Calendar feeds (under /calendar/, no login, no language prefix) and the staff subscribe page
(/staff/calendar/).

Feeds:
- /calendar/public.ics: every public meeting;
- /calendar/area/<code>.ics: public meetings of an area, the areas above it and under it;
- /calendar/series/<id>.ics: public meetings of a series;
- /calendar/f/<key>.ics: a stored filter (area + series + kinds), made on the subscribe page;
- /calendar/m/<uid>.ics: one public meeting as a file;
- /calendar/u/<token>.ics: a user's private feed (conferences.feeds: only the token's SHA-256
  is stored; an unknown, revoked or replaced token answers 404).

Every feed answers text/calendar; charset=utf-8 inline, with ETag and Last-Modified (one
aggregate query decides a 304 before anything is built), Cache-Control and gzip. Malformed
path parameters answer 400 and unknown ones 404, as plain text. Paths with a token are masked
in Django's request and server logs (TokenPathFilter, installed by ConferencesConfig.ready).
"""

import hashlib
import logging
import re
import uuid

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseNotFound
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET, require_POST, require_safe

from conferences import calendar, feeds
from conferences.models import CalendarToken, MeetingKind
from districts.models import Area
from resources.models import Organisation

logger = logging.getLogger(__name__)

AREA_CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
PUBLIC_CACHE = "public, max-age=900"
PRIVATE_CACHE = "private, no-cache"
# Part of every ETag: raise it when the feed's format changes.
FORMAT_VERSION = "1"
_PLACEHOLDER = uuid.UUID(int=0)
# The subscribe page lists the municipality first, then regions, then districts.
LEVEL_ORDER = {Area.Level.MUNICIPALITY: 0, Area.Level.REGION: 1, Area.Level.DISTRICT: 2}


# --- Logs never carry a token -----------------------------------------------------------------

TOKEN_PATH = re.compile(r"(/calendar/u/)[^/\s\"'?#.]+")


def mask_token_paths(text: str) -> str:
    return TOKEN_PATH.sub(r"\1[token]", text)


class TokenPathFilter(logging.Filter):
    """Masks /calendar/u/<token> in a record's message and arguments (Django's request logger
    names the path of 404s and 5xx, runserver every request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_token_paths(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                mask_token_paths(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        request = getattr(record, "request", None)
        if request is not None and TOKEN_PATH.search(getattr(request, "path", "")):
            record.request = None  # a handler that prints the request must not print this one
        return True


def install_log_filters() -> None:
    for name in ("django.request", "django.server", "django.security.csrf"):
        target = logging.getLogger(name)
        if not any(isinstance(each, TokenPathFilter) for each in target.filters):
            target.addFilter(TokenPathFilter())


# --- Serving a feed ---------------------------------------------------------------------------


def _plain(response_class, message: str):
    return response_class(message + "\n", content_type="text/plain; charset=utf-8")


def _not_found():
    return _plain(HttpResponseNotFound, _("No such calendar."))


def _absolute_url_maker(request, url_name: str):
    """uid → absolute URL of `url_name`, without a reverse() per event."""
    template = request.build_absolute_uri(reverse(url_name, args=[_PLACEHOLDER]))
    prefix, suffix = template.split(str(_PLACEHOLDER))
    return lambda uid: f"{prefix}{uid}{suffix}"


def _serve_feed(
    request, *, meetings, name: str, key: str, url_name: str, cache_control: str, filename: str
):
    now = timezone.now()
    meetings = calendar.in_window(meetings, now=now)
    count, last = calendar.feed_stamp(meetings)
    day = calendar.window_start_of(now)
    changed = max(last, day) if last else day
    fingerprint = "|".join(
        [
            FORMAT_VERSION,
            key,
            name,
            day.date().isoformat(),
            str(count),
            changed.isoformat(),
            request.get_host(),
            request.scheme,
        ]
    )
    etag = '"' + hashlib.sha256(fingerprint.encode()).hexdigest()[:32] + '"'
    timestamp = int(changed.timestamp())
    response = get_conditional_response(request, etag=etag, last_modified=timestamp)
    if response is None:
        body = calendar.feed_ics(
            rows=calendar.feed_rows(meetings),
            name=name,
            url_for=_absolute_url_maker(request, url_name),
        )
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["ETag"] = etag
    response["Last-Modified"] = http_date(timestamp)
    response["Cache-Control"] = cache_control
    response["X-Robots-Tag"] = "noindex"
    return response


def _public_feed(request, *, meetings, name: str, key: str):
    return _serve_feed(
        request,
        meetings=meetings,
        name=name,
        key=key,
        url_name="calendar:meeting",
        cache_control=PUBLIC_CACHE,
        filename="tsunagu-public.ics",
    )


@gzip_page
@require_safe
def public_feed(request):
    with translation.override(settings.LANGUAGE_CODE):
        name = _("Tsunagu: public meetings")
    return _public_feed(request, meetings=feeds.public_meetings(), name=name, key="public")


@gzip_page
@require_safe
def area_feed(request, code):
    if not AREA_CODE_PATTERN.match(code):
        return _plain(HttpResponseBadRequest, _("Malformed area code."))
    area = Area.objects.filter(code=code).first()
    if area is None:
        return _not_found()
    with translation.override(settings.LANGUAGE_CODE):
        name = _("%(area)s: public meetings") % {"area": area.name}
    return _public_feed(
        request, meetings=feeds.public_meetings(area=area), name=name, key=f"area:{area.pk}"
    )


@gzip_page
@require_safe
def series_feed(request, pk):
    if not pk.isascii() or not pk.isdigit() or len(pk) > 12:
        return _plain(HttpResponseBadRequest, _("Malformed series number."))
    series = feeds.public_series().filter(pk=int(pk)).first()
    if series is None:
        return _not_found()
    return _public_feed(
        request,
        meetings=feeds.public_meetings(series=series),
        name=series.title,
        key=f"series:{series.pk}",
    )


@gzip_page
@require_safe
def filter_feed(request, key):
    if not feeds.FILTER_KEY_PATTERN.match(key):
        return _plain(HttpResponseBadRequest, _("Malformed calendar id."))
    stored = feeds.filter_get(key=key)
    if stored is None:
        return _not_found()
    kinds = feeds.filter_kinds(stored)
    with translation.override(settings.LANGUAGE_CODE):
        name = filter_name(stored, kinds)
    return _public_feed(
        request,
        meetings=feeds.public_meetings(area=stored.area, series=stored.series, kinds=kinds),
        name=name,
        key=f"filter:{stored.key}",
    )


def filter_name(stored, kinds) -> str:
    parts = []
    if stored.series:
        parts.append(stored.series.title)
    elif stored.area:
        parts.append(stored.area.name)
    labels = dict(MeetingKind.choices)
    parts.extend(str(labels[kind]) for kind in kinds if kind in labels)
    if not parts:
        return _("Tsunagu: public meetings")
    return _("%(what)s: public meetings") % {"what": " · ".join(parts)}


@gzip_page
@require_safe
def user_feed(request, token):
    found = feeds.token_owner(token=token)
    if found is None:
        return _not_found()
    user = found.user
    with translation.override(settings.LANGUAGE_CODE):
        name = _("Tsunagu: my meetings")
    response = _serve_feed(
        request,
        meetings=feeds.user_meetings(user=user, scope=found.scope),
        name=name,
        key=f"user:{user.pk}:{found.digest}:{found.scope}",
        url_name="staff:meeting_detail",
        cache_control=PRIVATE_CACHE,
        filename="tsunagu-my-meetings.ics",
    )
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_safe
def meeting_file(request, uid):
    """One public meeting as a file to add to a calendar (staff have the meeting page's .ics)."""
    try:
        parsed = uuid.UUID(uid)
    except ValueError:
        return _plain(HttpResponseBadRequest, _("Malformed meeting id."))
    meeting = feeds.public_meetings().filter(uid=parsed).first()
    if meeting is None:
        return _not_found()
    etag = f'"{meeting.uid.hex}-{meeting.sequence}-{int(meeting.updated_at.timestamp())}"'
    timestamp = int(meeting.updated_at.timestamp())
    response = get_conditional_response(request, etag=etag, last_modified=timestamp)
    if response is None:
        url = request.build_absolute_uri(reverse("calendar:meeting", args=[meeting.uid]))
        with translation.override(settings.LANGUAGE_CODE):
            body = calendar.meeting_ics(meeting=meeting, url=url, now=meeting.updated_at)
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{calendar.ics_filename(meeting)}"'
    response["ETag"] = etag
    response["Last-Modified"] = http_date(timestamp)
    response["Cache-Control"] = PUBLIC_CACHE
    return response


# Included by config/urls.py at /calendar/, outside i18n_patterns: feed URLs never carry a
# language prefix.
feed_urlpatterns = [
    path("public.ics", public_feed, name="public"),
    path("area/<str:code>.ics", area_feed, name="area"),
    path("series/<str:pk>.ics", series_feed, name="series"),
    path("f/<str:key>.ics", filter_feed, name="filter"),
    path("m/<str:uid>.ics", meeting_file, name="meeting"),
    path("u/<str:token>.ics", user_feed, name="user"),
]


# --- The staff subscribe page -----------------------------------------------------------------


def _links(request, url: str) -> dict:
    absolute = request.build_absolute_uri(url)
    return {"https": absolute, "webcal": "webcal://" + absolute.split("://", 1)[1]}


def _page(request, *, new_token: str = "", chosen=None, errors=None, status=200):
    token = feeds.token_of(user=request.user)
    public = [
        {"label": _("All public meetings"), **_links(request, reverse("calendar:public"))},
    ]
    # The home areas of the user's organisations first: the feeds they most likely want.
    own_areas = Area.objects.filter(
        pk__in=Organisation.objects.filter(memberships__user=request.user).values("home_area_id")
    ).order_by("reading", "code")
    for area in own_areas:
        public.append(
            {
                "label": _("%(area)s: public meetings") % {"area": area.name},
                **_links(request, reverse("calendar:area", args=[area.code])),
            }
        )
    for number, feed in enumerate(public):
        feed["id"] = f"public-{number}"
    chosen_links = None
    if chosen is not None:
        chosen_links = {
            "name": filter_name(chosen, feeds.filter_kinds(chosen)),
            **_links(request, reverse("calendar:filter", args=[chosen.key])),
        }
    context = {
        "token": token,
        "new_links": (
            _links(request, reverse("calendar:user", args=[new_token])) if new_token else None
        ),
        "scopes": CalendarToken.Scope.choices,
        "public": public,
        "chosen": chosen_links,
        "areas": sorted(
            Area.objects.order_by("reading", "code"), key=lambda area: LEVEL_ORDER[area.level]
        ),
        "series_list": feeds.public_series(),
        "kinds": MeetingKind.choices,
        "errors": errors or [],
        "posted": request.POST if request.method == "POST" else {},
        "posted_kinds": request.POST.getlist("kind") if request.method == "POST" else [],
    }
    response = render(request, "conferences/calendar_subscribe.html", context, status=status)
    if new_token:
        response["Cache-Control"] = "no-store"  # the only page that shows the token
    return response


@login_required
@require_GET
def subscribe(request):
    chosen = None
    key = request.GET.get("filter", "")
    if key:
        chosen = feeds.filter_get(key=key) if feeds.FILTER_KEY_PATTERN.match(key) else None
    return _page(request, chosen=chosen)


@login_required
@require_POST
def token_issue(request):
    """Create or replace the user's private feed token and show its address, once: only its
    hash is kept, so this answer (not a redirect) is the only place it is ever shown."""
    scope = request.POST.get("scope", CalendarToken.Scope.MINE)
    if scope not in CalendarToken.Scope.values:
        return _page(request, errors=[_("Choose what the feed carries.")], status=400)
    token = feeds.token_issue(user=request.user, scope=scope)
    return _page(request, new_token=token)


@login_required
@require_POST
def token_revoke(request):
    feeds.token_revoke(user=request.user)
    return redirect("staff:calendar_subscribe")


@login_required
@require_POST
def filter_create(request):
    errors = []
    area = series = None
    area_code = request.POST.get("area", "")
    if area_code:
        area = Area.objects.filter(code=area_code).first()
        if area is None:
            errors.append(_("Choose an area from the list."))
    series_pk = request.POST.get("series", "")
    if series_pk:
        series = (
            feeds.public_series().filter(pk=int(series_pk)).first() if series_pk.isdigit() else None
        )
        if series is None:
            errors.append(_("Choose a series from the list."))
    kinds = request.POST.getlist("kind")
    if set(kinds) - set(MeetingKind.values):
        errors.append(_("Choose kinds of meeting from the list."))
    if errors:
        return _page(request, errors=errors, status=400)
    stored = feeds.filter_store(area=area, series=series, kinds=kinds)
    return redirect(reverse("staff:calendar_subscribe") + f"?filter={stored.key}#public")
