"""Staff routes of the conferences app (mounted under /staff/ in the "staff" namespace).

The area page lives here rather than in districts: it brings together figures, resources and
meetings, and only this layer may import all three.
"""

from django.urls import include, path

from conferences import (
    agenda_views,
    area_views,
    calendar_views,
    evidence_views,
    meeting_views,
    minutes_views,
    notification_views,
    organisation_views,
    referral_views,
    stewardship_views,
    views,
    workshop_views,
)

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    # Before areas/<code>/, which would otherwise take "compare" for an area code.
    path("areas/compare/", area_views.area_comparison, name="area_comparison"),
    path("areas/<str:code>/", area_views.area_detail, name="area_detail"),
    # The organisation page counts the cases an organisation is on, so it lives in this layer.
    path(
        "directory/<uuid:uuid>/",
        organisation_views.organisation_detail,
        name="organisation_detail",
    ),
    path(
        "directory/<uuid:uuid>/visits/",
        organisation_views.visit_add,
        name="organisation_visit_add",
    ),
    path(
        "directory/<uuid:uuid>/follow-ups/<int:pk>/done/",
        organisation_views.follow_up_done,
        name="organisation_follow_up_done",
    ),
    path("directory/<uuid:uuid>/ties/", organisation_views.tie_add, name="organisation_tie_add"),
    path(
        "directory/<uuid:uuid>/ties/candidates/",
        organisation_views.tie_candidates,
        name="organisation_tie_candidates",
    ),
    path(
        "directory/<uuid:uuid>/ties/<int:pk>/remove/",
        organisation_views.tie_remove,
        name="organisation_tie_remove",
    ),
    # --- stewardship (stewardship_views): the directory keeper's queue, proposals ---
    path("directory/keeping/", stewardship_views.queue, name="stewardship_queue"),
    path(
        "directory/<uuid:uuid>/keeping/confirm/",
        stewardship_views.entry_confirm,
        name="stewardship_confirm",
    ),
    path(
        "directory/<uuid:uuid>/keeping/correct/",
        stewardship_views.entry_correct,
        name="stewardship_correct",
    ),
    path(
        "directory/<uuid:uuid>/propose/",
        stewardship_views.proposal_create,
        name="stewardship_propose",
    ),
    path(
        "directory/proposals/<uuid:uuid>/",
        stewardship_views.proposal_review,
        name="stewardship_review",
    ),
    path(
        "directory/reports/<uuid:uuid>/close/",
        stewardship_views.report_close,
        name="stewardship_report_close",
    ),
    # --- meetings (meeting_views): series, participants, pledges, cancellation ---
    path("meetings/", meeting_views.meeting_list, name="meeting_list"),
    path("meetings/new/", meeting_views.meeting_create, name="meeting_create"),
    path("workshops/", workshop_views.workshop_list, name="workshop_list"),
    path("workshops/new/", workshop_views.workshop_create, name="workshop_create"),
    path("meetings/<uuid:uid>/", meeting_views.meeting_detail, name="meeting_detail"),
    path("meetings/<uuid:uid>/edit/", meeting_views.meeting_edit, name="meeting_edit"),
    path("meetings/<uuid:uid>/held/", meeting_views.meeting_mark_held, name="meeting_mark_held"),
    path("meetings/<uuid:uid>/cancel/", meeting_views.meeting_cancel, name="meeting_cancel"),
    path(
        "meetings/<uuid:uid>/participants/",
        meeting_views.participant_add,
        name="meeting_participant_add",
    ),
    path(
        "meetings/<uuid:uid>/participants/<int:pk>/remove/",
        meeting_views.participant_remove,
        name="meeting_participant_remove",
    ),
    path("meetings/<uuid:uid>/pledges/", meeting_views.pledge_add, name="meeting_pledge_add"),
    path("series/new/", meeting_views.series_create, name="series_create"),
    path("series/<int:pk>/", meeting_views.series_detail, name="series_detail"),
    path("series/<int:pk>/generate/", meeting_views.series_generate, name="series_generate"),
    # --- agenda builder (agenda_views) ---
    path("meetings/<uuid:uid>/agenda/", agenda_views.agenda_builder, name="agenda_builder"),
    path("meetings/<uuid:uid>/agenda/items/", agenda_views.agenda_item_add, name="agenda_item_add"),
    path(
        "meetings/<uuid:uid>/agenda/items/<int:pk>/minutes/",
        agenda_views.agenda_item_minutes,
        name="agenda_item_minutes",
    ),
    path(
        "meetings/<uuid:uid>/agenda/items/<int:pk>/move/",
        agenda_views.agenda_item_move,
        name="agenda_item_move",
    ),
    path(
        "meetings/<uuid:uid>/agenda/items/<int:pk>/remove/",
        agenda_views.agenda_item_remove,
        name="agenda_item_remove",
    ),
    path("meetings/<uuid:uid>/agenda/order/", agenda_views.agenda_reorder, name="agenda_reorder"),
    path("meetings/<uuid:uid>/agenda/prepare/", agenda_views.agenda_prepare, name="agenda_prepare"),
    path("meetings/<uuid:uid>/agenda/print/", agenda_views.agenda_print, name="agenda_print"),
    path(
        "meetings/<uuid:uid>/agenda/run-of-show/",
        agenda_views.agenda_run_of_show,
        name="agenda_run_of_show",
    ),
    path("meetings/<uuid:uid>/agenda/meeting.ics", agenda_views.agenda_ics, name="agenda_ics"),
    # --- minutes (minutes_views) ---
    path(
        "meetings/<uuid:uid>/minutes/",
        minutes_views.minutes_page,
        name="minutes",
    ),
    path(
        "meetings/<uuid:uid>/minutes/items/<int:pk>/",
        minutes_views.item_save,
        name="minutes_item_save",
    ),
    path(
        "meetings/<uuid:uid>/minutes/items/<int:pk>/actions/",
        minutes_views.action_add,
        name="minutes_action_add",
    ),
    path(
        "meetings/<uuid:uid>/minutes/items/<int:pk>/actions/from-point/",
        minutes_views.action_from_point,
        name="minutes_action_from_point",
    ),
    path(
        "meetings/<uuid:uid>/minutes/items/<int:pk>/note/",
        minutes_views.private_note,
        name="minutes_private_note",
    ),
    path(
        "meetings/<uuid:uid>/minutes/items/<int:pk>/proposals/",
        minutes_views.proposal_add,
        name="minutes_proposal_add",
    ),
    path(
        "meetings/<uuid:uid>/minutes/items/<int:pk>/case/plan/",
        minutes_views.case_plan,
        name="minutes_case_plan",
    ),
    path(
        "meetings/<uuid:uid>/minutes/items/<int:pk>/case/lead/",
        minutes_views.case_lead,
        name="minutes_case_lead",
    ),
    path(
        "meetings/<uuid:uid>/minutes/items/<int:pk>/case/review/",
        minutes_views.case_review,
        name="minutes_case_review",
    ),
    path(
        "meetings/<uuid:uid>/minutes/actions/<int:pk>/",
        minutes_views.action_edit,
        name="minutes_action_edit",
    ),
    path(
        "meetings/<uuid:uid>/minutes/actions/<int:pk>/done/",
        minutes_views.action_done,
        name="minutes_action_done",
    ),
    path(
        "meetings/<uuid:uid>/minutes/proposals/<int:pk>/decide/",
        minutes_views.proposal_decide,
        name="minutes_proposal_decide",
    ),
    path(
        "meetings/<uuid:uid>/minutes/attendance/",
        minutes_views.attendance_save,
        name="minutes_attendance",
    ),
    path(
        "meetings/<uuid:uid>/minutes/circulate/",
        minutes_views.circulate,
        name="minutes_circulate",
    ),
    path(
        "meetings/<uuid:uid>/minutes/approve/",
        minutes_views.approve,
        name="minutes_approve",
    ),
    path(
        "meetings/<uuid:uid>/minutes/reopen/",
        minutes_views.reopen,
        name="minutes_reopen",
    ),
    path(
        "meetings/<uuid:uid>/minutes/revisions/",
        minutes_views.revisions,
        name="minutes_revisions",
    ),
    # --- district issues from cases (issue 6): evidence, issue page ---
    path(
        "meetings/<uuid:uid>/minutes/items/<int:pk>/evidence/",
        evidence_views.item_evidence,
        name="evidence_item",
    ),
    path(
        "meetings/<uuid:uid>/minutes/items/<int:pk>/evidence/<int:evidence_pk>/remove/",
        evidence_views.evidence_remove,
        name="evidence_remove",
    ),
    path(
        "meetings/<uuid:uid>/minutes/items/<int:pk>/issue-decision/",
        evidence_views.item_decide,
        name="evidence_decide",
    ),
    path("issues/<int:pk>/evidence/", evidence_views.issue_evidence, name="issue_evidence"),
    # --- cases (case_urls: case_views, audit_views): consent, roles, lead, plans, audit trail ---
    path("", include("conferences.case_urls")),
    # --- calendar (calendar_views): subscribe page, private feed token, stored filters ---
    path("calendar/", calendar_views.subscribe, name="calendar_subscribe"),
    path("calendar/token/", calendar_views.token_issue, name="calendar_token_issue"),
    path("calendar/token/revoke/", calendar_views.token_revoke, name="calendar_token_revoke"),
    path("calendar/filters/", calendar_views.filter_create, name="calendar_filter_create"),
    # --- referrals (referral_views): refer a case, inbox and outbox, one referral's steps ---
    path(
        "cases/<uuid:public_id>/referrals/new/",
        referral_views.referral_create,
        name="referral_create",
    ),
    path("referrals/", referral_views.referral_list, name="referral_list"),
    path("referrals/<uuid:uuid>/", referral_views.referral_detail, name="referral_detail"),
    path("referrals/<uuid:uuid>/accept/", referral_views.referral_accept, name="referral_accept"),
    path(
        "referrals/<uuid:uuid>/decline/", referral_views.referral_decline, name="referral_decline"
    ),
    path("referrals/<uuid:uuid>/ask/", referral_views.referral_ask, name="referral_ask"),
    path("referrals/<uuid:uuid>/answer/", referral_views.referral_answer, name="referral_answer"),
    path("referrals/<uuid:uuid>/done/", referral_views.referral_done, name="referral_done"),
    # --- notifications (notification_views): the in-app list, e-mail preference ---
    path("notifications/", notification_views.notification_list, name="notification_list"),
    path("notifications/read/", notification_views.notification_read, name="notification_read"),
    path(
        "notifications/preferences/",
        notification_views.notification_preferences,
        name="notification_preferences",
    ),
    # --- my work ---
    path("me/", meeting_views.my_work, name="my_work"),
    path("me/schedule/", views.my_schedule, name="my_schedule"),
]
