"""The work: who acts for which organisation, cases, meetings, agendas, minutes, actions, audit."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from districts.models import Area, DistrictIssue, TargetGroup
from resources.models import Organisation, Service


class Membership(models.Model):
    """A user acts through one or more organisations, each with a professional role."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=100, help_text=_("e.g. 保健師, 社会福祉士"))
    can_chair = models.BooleanField(_("may chair meetings"), default=False)
    is_admin = models.BooleanField(_("organisation administrator"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="unique_membership"),
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self):
        return f"{self.user} @ {self.organisation}"


class Case(models.Model):
    class SupportLevel(models.TextChoices):
        INFORMATION = "information", _("Information (情報提供)")
        SELF_PLAN = "self_plan", _("Self plan (セルフプラン)")
        SUPPORT_PLAN = "support_plan", _("Support plan (支援プラン・サポートプラン)")

    class RiskTier(models.IntegerChoices):
        LOW = 1, _("Low")
        MEDIUM = 2, _("Medium")
        HIGH = 3, _("High")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    # Used in URLs instead of the primary key, so ids can't be guessed or counted.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(
        _("case code"), max_length=32, unique=True, help_text=_("Pseudonymous; never a name.")
    )
    district = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="cases", verbose_name=_("district")
    )
    target_group = models.CharField(_("target group"), max_length=16, choices=TargetGroup.choices)
    support_level = models.CharField(
        _("support level"), max_length=16, choices=SupportLevel.choices
    )
    risk_tier = models.PositiveSmallIntegerField(
        _("risk tier"), choices=RiskTier.choices, default=RiskTier.LOW
    )
    lead_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="lead_cases",
        verbose_name=_("lead organisation (主担当機関)"),
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    next_review_on = models.DateField(_("next review on"), null=True, blank=True)
    # Raised by every change made through conferences.services, which write only if the version
    # is still the one the editor started from (concurrent edits never overwrite each other).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        ordering = ["-opened_on", "code"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self):
        return self.code


class CaseRole(models.Model):
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="roles", verbose_name=_("case")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="case_roles",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role in the plan"), max_length=200)
    contact_person = models.CharField(_("contact person"), max_length=100, blank=True)
    added_on = models.DateField(_("added on"), null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("added by"),
    )
    # What allowed sharing the case with this organisation: the person's consent, or the legal
    # basis of the meeting where it was decided (both empty for roles from before the record).
    consent = models.ForeignKey(
        "Consent",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="roles",
        verbose_name=_("consent"),
    )
    meeting = models.ForeignKey(
        "Meeting",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided at meeting"),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "organisation"], name="unique_case_role"),
        ]
        verbose_name = _("case role")
        verbose_name_plural = _("case roles")

    def __str__(self):
        return f"{self.organisation}: {self.role}"


class Consent(models.Model):
    """本人同意: the person agreed, on a date, to their case being shared within a scope: with
    every organisation (`covers_all`) or with the listed ones. A withdrawal keeps the record."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="consents", verbose_name=_("case")
    )
    given_on = models.DateField(_("given on"))
    scope = models.TextField(_("scope"), help_text=_("What may be shared, with whom, for what."))
    covers_all = models.BooleanField(
        _("covers every organisation in the support network"), default=False
    )
    organisations = models.ManyToManyField(
        Organisation, blank=True, related_name="+", verbose_name=_("organisations covered")
    )
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["-given_on", "-pk"]
        verbose_name = _("consent to share")
        verbose_name_plural = _("consents to share")

    def __str__(self):
        return str(self.given_on)


class LeadChange(models.Model):
    """One change of a case's lead organisation (主担当機関): who, when, why, where decided."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="lead_changes", verbose_name=_("case")
    )
    previous = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("previous lead"),
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("new lead")
    )
    reason = models.TextField(_("reason"), blank=True)
    meeting = models.ForeignKey(
        "Meeting",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided at meeting"),
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]
        verbose_name = _("lead organisation change")
        verbose_name_plural = _("lead organisation changes")

    def __str__(self):
        return str(self.organisation)


class SupportPlan(models.Model):
    """One version of a case's support plan; a new agreement is a new version, never an edit."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="plans", verbose_name=_("case")
    )
    number = models.PositiveIntegerField(_("version"))
    goals = models.TextField(_("goals"))
    services = models.ManyToManyField(
        Service, blank=True, related_name="+", verbose_name=_("services")
    )
    monitoring_interval_months = models.PositiveSmallIntegerField(
        _("monitoring interval (months)"), default=3
    )
    next_review_on = models.DateField(_("next review on"), null=True, blank=True)
    agreed_at_meeting = models.ForeignKey(
        "Meeting",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="agreed_plans",
        verbose_name=_("agreed at meeting"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["case", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="unique_plan_version"),
        ]
        verbose_name = _("support plan")
        verbose_name_plural = _("support plans")

    def __str__(self):
        return str(self.number)


class MeetingKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual case conference (地域ケア個別会議)")
    STAKEHOLDERS = "stakeholders", _("Stakeholders meeting (関係者会議)")
    JOINT_CASE = "joint_case", _("Joint case meeting (合同ケース会議)")
    CHILD_PROTECTION_CASE = "child_protection_case", _("要対協 individual case review")
    CHILD_PROTECTION_PRACTITIONERS = (
        "child_protection_practitioners",
        _("要対協 practitioners meeting"),
    )
    DISTRICT_NETWORK = (
        "district_network",
        _("Community care network meeting (地域ケアネットワーク会議)"),
    )
    MUNICIPAL_PROMOTION = (
        "municipal_promotion",
        _("Community care promotion meeting (地域ケア推進会議)"),
    )
    THREE_PARTNERS = "three_partners", _("Three partners meeting (三者連携会議)")
    WORKSHOP = "workshop", _("Workshop")


class MeetingLevel(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    DISTRICT = "district", _("District")
    REGION = "region", _("Region")
    MUNICIPAL = "municipal", _("Municipal")


class MeetingVisibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    STAFF = "staff", _("Staff")
    CONFIDENTIAL = "confidential", _("Confidential")


class LegalBasis(models.TextChoices):
    NONE = "", _("None")
    LONG_TERM_CARE = "ltc_115_48", _("介護保険法 第115条の48")
    CHILD_WELFARE = "cw_25_5", _("児童福祉法 第25条の5")
    SOCIAL_WELFARE = "sw_106_6", _("社会福祉法 第106条の6")


class MeetingSeries(models.Model):
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=MeetingKind.choices)
    level = models.CharField(_("level"), max_length=16, choices=MeetingLevel.choices)
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="meeting_series", verbose_name=_("area")
    )
    rrule = models.CharField(
        _("recurrence (RFC 5545 RRULE)"), max_length=200, help_text=_("e.g. FREQ=MONTHLY;BYDAY=3WE")
    )
    organiser = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="meeting_series",
        verbose_name=_("organiser"),
    )
    # When occurrences are generated (conferences.meetings.series_generate): local times.
    starts_on = models.DateField(_("first date"), null=True, blank=True)
    until = models.DateField(_("last date"), null=True, blank=True)
    start_time = models.TimeField(_("start time"), null=True, blank=True)
    end_time = models.TimeField(_("end time"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    legal_basis = models.CharField(
        _("legal basis"), max_length=16, choices=LegalBasis.choices, blank=True, default=""
    )
    visibility = models.CharField(
        _("visibility"),
        max_length=16,
        choices=MeetingVisibility.choices,
        default=MeetingVisibility.STAFF,
    )
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("chair"),
    )
    recorder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorder"),
    )

    class Meta:
        ordering = ["title"]
        verbose_name = _("meeting series")
        verbose_name_plural = _("meeting series")

    def __str__(self):
        return self.title


class Meeting(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    # Stable across renders and servers: the calendar UID is built from it.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    series = models.ForeignKey(
        MeetingSeries,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="meetings",
        verbose_name=_("series"),
    )
    # The date of the series' occurrence this meeting is (RFC 5545 RECURRENCE-ID): kept when the
    # meeting is moved, so generating the series again never re-adds a moved or cancelled one.
    occurrence_on = models.DateField(_("occurrence of the series"), null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=MeetingKind.choices)
    level = models.CharField(_("level"), max_length=16, choices=MeetingLevel.choices)
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("area")
    )
    legal_basis = models.CharField(
        _("legal basis"),
        max_length=16,
        choices=LegalBasis.choices,
        blank=True,
        default=LegalBasis.NONE,
    )
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    online_url = models.URLField(_("online meeting link"), blank=True)
    organiser = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("organiser")
    )
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chaired_meetings",
        verbose_name=_("chair"),
    )
    recorder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recorded_meetings",
        verbose_name=_("recorder"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PLANNED
    )
    visibility = models.CharField(
        _("visibility"),
        max_length=16,
        choices=MeetingVisibility.choices,
        default=MeetingVisibility.STAFF,
    )
    cancellation_reason = models.TextField(_("reason for cancelling"), blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # Bumped on every change a calendar must see (RFC 5545 SEQUENCE).
    sequence = models.PositiveIntegerField(default=0, editable=False)
    # Raised by every edit through conferences services (compare-and-swap, like Case.version).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        indexes = [
            models.Index(fields=["area", "starts_at"]),
            models.Index(fields=["visibility", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="meeting_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["series", "occurrence_on"], name="unique_series_occurrence"
            ),
        ]

    def __str__(self):
        return self.title


class Participant(models.Model):
    class Role(models.TextChoices):
        CHAIR = "chair", _("Chair")
        RECORDER = "recorder", _("Recorder")
        PRESENTER = "presenter", _("Presenter")
        MEMBER = "member", _("Member")
        ADVISOR = "advisor", _("Advisor")

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="participants", verbose_name=_("meeting")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="participations",
        verbose_name=_("organisation"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="participations",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    # For people without an account (a 民生委員, a resident representative).
    person_name = models.CharField(_("person"), max_length=100, blank=True)
    # Outside participants (not bound by a professional duty of confidentiality) see case
    # material of the meeting only once their pledge (誓約書) is recorded.
    is_external = models.BooleanField(_("outside participant"), default=False)
    attended = models.BooleanField(_("attended"), null=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")

    def __str__(self):
        return f"{self.organisation} ({self.get_role_display()})"


class Pledge(models.Model):
    """誓約書: an outside participant's signed confidentiality pledge, for one meeting or for every
    meeting of a series."""

    class Scope(models.TextChoices):
        MEETING = "meeting", _("This meeting")
        SERIES = "series", _("Every meeting of the series")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="pledges",
        verbose_name=_("user"),
    )
    person_name = models.CharField(_("person"), max_length=100, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("organisation"),
    )
    signed_on = models.DateField(_("signed on"))
    scope = models.CharField(_("scope"), max_length=8, choices=Scope.choices)
    meeting = models.ForeignKey(
        Meeting,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="pledges",
        verbose_name=_("meeting"),
    )
    series = models.ForeignKey(
        MeetingSeries,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="pledges",
        verbose_name=_("series"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["-signed_on", "-pk"]
        verbose_name = _("confidentiality pledge")
        verbose_name_plural = _("confidentiality pledges")

    def __str__(self):
        return str(self.signed_on)


class AgendaItem(models.Model):
    class Kind(models.TextChoices):
        NEW_CASE = "new_case", _("New case")
        CASE_REVIEW = "case_review", _("Case review")
        CARRIED_OVER = "carried_over", _("Carried-over actions")
        DISTRICT_ISSUE = "district_issue", _("District issue")
        REPORT = "report", _("Report")

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="agenda_items", verbose_name=_("meeting")
    )
    order = models.PositiveSmallIntegerField(_("order"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    minutes_allotted = models.PositiveSmallIntegerField(_("minutes allotted"), default=15)
    case = models.ForeignKey(
        Case,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agenda_items",
        verbose_name=_("case"),
    )
    district_issue = models.ForeignKey(
        DistrictIssue,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agenda_items",
        verbose_name=_("district issue"),
    )
    presenting_organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="presented_items",
        verbose_name=_("presenting organisation"),
    )
    # The minutes of this item.
    summary = models.TextField(_("summary"), blank=True)
    decisions = models.TextField(_("decisions"), blank=True)
    # For a carried-over item: the open actions of earlier meetings it reviews.
    carried_actions = models.ManyToManyField(
        "ActionItem",
        blank=True,
        related_name="carried_into",
        verbose_name=_("carried-over actions"),
    )
    # Raised by every save of this item's minutes: a save from an older version is refused.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        ordering = ["meeting", "order"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "order"], name="unique_agenda_order"),
        ]
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")

    def __str__(self):
        return self.title


class Minutes(models.Model):
    """The state of a meeting's minutes: a draft until approved, then locked."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved")

    meeting = models.OneToOneField(
        Meeting, on_delete=models.CASCADE, related_name="minutes", verbose_name=_("meeting")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    # 1 until the first approval; a correction after approval opens the next revision.
    revision = models.PositiveIntegerField(_("revision"), default=1)
    correction_reason = models.TextField(_("reason for the correction"), blank=True)
    circulated_at = models.DateTimeField(_("circulated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("minutes")
        verbose_name_plural = _("minutes")

    def __str__(self):
        return str(self.meeting)


class MinutesRevision(models.Model):
    """An approved revision of the minutes, frozen: each item's summary, decisions and actions as
    they were approved (a JSON snapshot), so revisions can be read side by side."""

    minutes = models.ForeignKey(
        Minutes, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("minutes")
    )
    number = models.PositiveIntegerField(_("revision"))
    reason = models.TextField(_("reason for the correction"), blank=True)
    snapshot = models.JSONField(_("content"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"))

    class Meta:
        ordering = ["minutes", "number"]
        constraints = [
            models.UniqueConstraint(fields=["minutes", "number"], name="unique_minutes_revision"),
        ]
        verbose_name = _("minutes revision")
        verbose_name_plural = _("minutes revisions")

    def __str__(self):
        return str(self.number)


class CorrectionProposal(models.Model):
    """A participant's proposed correction to one item of circulated draft minutes."""

    class Field(models.TextChoices):
        SUMMARY = "summary", _("Summary")
        DECISIONS = "decisions", _("Decisions")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    agenda_item = models.ForeignKey(
        "AgendaItem",
        on_delete=models.CASCADE,
        related_name="correction_proposals",
        verbose_name=_("agenda item"),
    )
    field = models.CharField(_("field"), max_length=16, choices=Field.choices)
    text = models.TextField(_("proposed text"))
    comment = models.TextField(_("comment"), blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    proposed_at = models.DateTimeField(_("proposed at"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["agenda_item", "proposed_at", "pk"]
        verbose_name = _("correction proposal")
        verbose_name_plural = _("correction proposals")

    def __str__(self):
        return self.get_field_display()


class PrivateNote(models.Model):
    """A chair's own note on an agenda item: shown to its author only, never in minutes or prints
    for others."""

    agenda_item = models.ForeignKey(
        "AgendaItem",
        on_delete=models.CASCADE,
        related_name="private_notes",
        verbose_name=_("agenda item"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("author"),
    )
    text = models.TextField(_("note"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agenda_item", "author"], name="unique_private_note"),
        ]
        verbose_name = _("private note")
        verbose_name_plural = _("private notes")

    def __str__(self):
        return str(self.agenda_item_id)


class ActionItem(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    agenda_item = models.ForeignKey(
        AgendaItem,
        on_delete=models.CASCADE,
        related_name="action_items",
        verbose_name=_("agenda item"),
    )
    description = models.CharField(_("what"), max_length=300)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="action_items",
        verbose_name=_("organisation"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_items",
        verbose_name=_("person"),
    )
    is_lead = models.BooleanField(_("lead"), default=False)
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    # The case it is about (copied from the agenda item), so open actions follow the case to
    # its next review whatever meeting that is.
    case = models.ForeignKey(
        Case,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_items",
        verbose_name=_("case"),
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, null=True)

    class Meta:
        ordering = ["due_on"]
        indexes = [models.Index(fields=["organisation", "status", "due_on"])]
        verbose_name = _("action item")
        verbose_name_plural = _("action items")

    def __str__(self):
        return self.description


class AuditEvent(models.Model):
    """Who read, changed or exported case data, through which organisation."""

    class Action(models.TextChoices):
        VIEW = "view", _("View")
        CHANGE = "change", _("Change")
        EXPORT = "export", _("Export")

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("user"),
    )
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
        verbose_name=_("organisation"),
    )
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    case = models.ForeignKey(
        Case,
        null=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
        verbose_name=_("case"),
    )
    meeting = models.ForeignKey(
        Meeting,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("meeting"),
    )
    detail = models.CharField(_("detail"), max_length=200, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self):
        return f"{self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"


# --- calendar feeds (conferences.feeds) -----------------------------------------------------------


class CalendarToken(models.Model):
    """The key to a user's private calendar feed. Only the SHA-256 of the token is stored, so a
    copy of the database does not open anyone's feed; regenerating replaces the row, so the old
    token answers 404 at once."""

    class Scope(models.TextChoices):
        MINE = "mine", _("Meetings I take part in")
        VISIBLE = "visible", _("Every meeting I may see")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_token"
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    scope = models.CharField(_("what the feed carries"), max_length=8, choices=Scope.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("calendar token")
        verbose_name_plural = _("calendar tokens")

    def __str__(self):
        return f"{self.user} ({self.created_at:%Y-%m-%d})"


class CalendarFilter(models.Model):
    """A public feed's filter (area, series, kinds) stored behind a short id, so the feed's URL
    stays short: /calendar/f/<key>.ics. One row per combination (`signature`)."""

    key = models.CharField(max_length=16, unique=True, editable=False)
    signature = models.CharField(max_length=600, unique=True, editable=False)
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    series = models.ForeignKey(
        MeetingSeries, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Comma-separated MeetingKind values, sorted; empty: every kind.
    kinds = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("calendar filter")
        verbose_name_plural = _("calendar filters")

    def __str__(self):
        return self.key


class IssueEvidence(models.Model):
    """An agenda item tagged as evidence for a district issue (地域課題), with an anonymised note.

    The case's target group and support level are copied when the item is tagged, so the issue
    page counts them without reading cases (and keeps the counts if the case changes later)."""

    agenda_item = models.ForeignKey(
        AgendaItem,
        on_delete=models.CASCADE,
        related_name="evidence",
        verbose_name=_("agenda item"),
    )
    issue = models.ForeignKey(
        DistrictIssue,
        on_delete=models.CASCADE,
        related_name="evidence",
        verbose_name=_("district issue"),
    )
    note = models.TextField(
        _("anonymised note"),
        help_text=_("What the item shows about the issue: no names, addresses or case codes."),
    )
    target_group = models.CharField(
        _("target group"), max_length=16, choices=TargetGroup.choices, blank=True
    )
    support_level = models.CharField(
        _("support level"), max_length=16, choices=Case.SupportLevel.choices, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("tagged by"),
    )
    created_at = models.DateTimeField(_("tagged at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["agenda_item", "issue"], name="unique_issue_evidence_per_item"
            ),
        ]
        verbose_name = _("issue evidence")
        verbose_name_plural = _("issue evidence")

    def __str__(self):
        return f"{self.issue} ← {self.agenda_item_id}"


# Referrals and notifications (issue 10) live in their own module; imported here so they are
# models of this app.
from conferences.referral_models import *  # noqa: E402, F403


class IssueDecision(models.Model):
    """A district issue's status change decided in a meeting, on the agenda item that discussed it
    (the districts app keeps the change itself and must not know about meetings)."""

    status_change = models.OneToOneField(
        "districts.IssueStatusChange",
        on_delete=models.CASCADE,
        related_name="decision",
        verbose_name=_("status change"),
    )
    agenda_item = models.ForeignKey(
        AgendaItem,
        on_delete=models.CASCADE,
        related_name="issue_decisions",
        verbose_name=_("agenda item"),
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("decision on a district issue")
        verbose_name_plural = _("decisions on district issues")

    def __str__(self):
        return f"{self.status_change_id} @ {self.agenda_item_id}"
