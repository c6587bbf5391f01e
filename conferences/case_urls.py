"""Routes of the case record and the audit trail, included into conferences.urls (so in the
"staff" namespace). Case ids in URLs are opaque (Case.public_id)."""

from django.urls import path

from conferences import audit_views, case_views

urlpatterns = [
    path("cases/", case_views.case_list, name="case_list"),
    path("cases/new/", case_views.case_create, name="case_create"),
    path("cases/<uuid:public_id>/", case_views.case_detail, name="case_detail"),
    path("cases/<uuid:public_id>/export.csv", case_views.case_export, name="case_export"),
    path("cases/<uuid:public_id>/edit/", case_views.case_edit, name="case_edit"),
    path("cases/<uuid:public_id>/consents/", case_views.consent_add, name="case_consent_add"),
    path(
        "cases/<uuid:public_id>/consents/<int:pk>/withdraw/",
        case_views.consent_withdraw,
        name="case_consent_withdraw",
    ),
    path("cases/<uuid:public_id>/roles/", case_views.role_add, name="case_role_add"),
    path("cases/<uuid:public_id>/roles/check/", case_views.role_check, name="case_role_check"),
    path("cases/<uuid:public_id>/lead/", case_views.lead_change, name="case_lead_change"),
    path("cases/<uuid:public_id>/plans/", case_views.plan_add, name="case_plan_add"),
    path("cases/<uuid:public_id>/plans/<int:number>/", case_views.plan_detail, name="case_plan"),
    path("audit/", audit_views.audit_list, name="audit_list"),
    path("audit/export.csv", audit_views.audit_export, name="audit_export"),
]
