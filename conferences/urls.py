"""Staff routes of the conferences app (mounted under /staff/ in the "staff" namespace).

The area page lives here rather than in districts: it brings together figures, resources and
meetings, and only this layer may import all three.
"""

from django.urls import path

from conferences import area_views, views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    # Before areas/<code>/, which would otherwise take "compare" for an area code.
    path("areas/compare/", area_views.area_comparison, name="area_comparison"),
    path("areas/<str:code>/", area_views.area_detail, name="area_detail"),
    path("meetings/", views.meeting_list, name="meeting_list"),
    path("meetings/<uuid:uid>/", views.meeting_detail, name="meeting_detail"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/<uuid:public_id>/", views.case_detail, name="case_detail"),
    path("me/schedule/", views.my_schedule, name="my_schedule"),
]
