"""The directory of local resources, aligned with Open Referral HSDS 3 (organization, service,
location, service_at_location, schedule, taxonomy_term), plus what Japanese community care needs:
readings for 五十音 order, kinds of organisation, visibility, and the welfare council's mapping
work (visits and ties between organisations)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from districts.models import Area, TargetGroup


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    STAFF = "staff", _("Staff only")


class Organisation(models.Model):
    class Kind(models.TextChoices):
        GOVERNMENT = "government", _("Local government (行政)")
        CHILD_FAMILY_CENTRE = (
            "child_family_centre",
            _("Child and family centre (こども家庭センター)"),
        )
        WELFARE_COUNCIL = "welfare_council", _("Social welfare council (社会福祉協議会)")
        COMMUNITY_CARE_CENTRE = (
            "community_care_centre",
            _("Community general support centre (地域包括支援センター)"),
        )
        TOWN_OFFICE = "town_office", _("Town development centre (まちづくりセンター)")
        MEDICAL = "medical", _("Medical institution (医療機関)")
        CHILDCARE = "childcare", _("Nursery or kindergarten (保育所・幼稚園)")
        SCHOOL = "school", _("School (学校)")
        CARE_PROVIDER = "care_provider", _("Care service provider (介護事業所)")
        NPO = "npo", _("NPO")
        NEIGHBOURHOOD = "neighbourhood", _("Neighbourhood association (町会・自治会)")
        COMMISSIONED_VOLUNTEER = (
            "commissioned_volunteer",
            _("Commissioned welfare volunteers (民生委員・児童委員)"),
        )
        PARENTING_CIRCLE = "parenting_circle", _("Parenting circle (子育てサークル)")
        SALON = "salon", _("Community salon or mini day service (サロン・ミニデイ)")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    reading = models.CharField(_("reading"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    description = models.TextField(_("description"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("website"), blank=True)
    home_area = models.ForeignKey(
        Area,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organisations",
        verbose_name=_("home area"),
    )
    areas_served = models.ManyToManyField(
        Area, blank=True, related_name="served_by", verbose_name=_("areas served")
    )
    is_agency = models.BooleanField(
        _("takes part in case coordination"),
        default=False,
        help_text=_("Agencies can be given roles on cases."),
    )
    visibility = models.CharField(
        _("visibility"), max_length=8, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    name_en = models.CharField(_("name in English"), max_length=200, blank=True)
    fax = models.CharField(_("fax"), max_length=40, blank=True)
    corporate_number = models.CharField(_("corporate number (法人番号)"), max_length=13, blank=True)
    last_verified_on = models.DateField(_("last verified on"), null=True, blank=True)
    last_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("last verified by"),
    )
    # Normalised name, reading, English name and service names for the staff search; kept by
    # resources.search (organisation_search_key), never edited by hand.
    search_text = models.TextField(_("search key"), blank=True, default="", editable=False)
    # Raised by every save from /staff/ (resources.services.organisation_save), which writes only
    # if it is still the version the editor started from: concurrent edits never overwrite.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    # Who keeps the entry true (resources.stewardship): an organisation (typically the 社協),
    # whose members see the entry in their verification queue, and/or a named staff user.
    keeper_organisation = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="kept_entries",
        verbose_name=_("keeper (organisation)"),
    )
    keeper_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="kept_entries",
        verbose_name=_("keeper (staff member)"),
    )

    class Meta:
        ordering = ["reading", "name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        indexes = [models.Index(fields=["kind", "visibility"])]

    def __str__(self):
        return self.name


class TaxonomyTerm(models.Model):
    """A service category (HSDS taxonomy_term), e.g. 子育てひろば or 介護予防・サロン.

    Each category names the target group whose residents it is for, so coverage can be given
    per 1,000 residents of the right age band.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name in English"), max_length=100, blank=True)
    target_group = models.CharField(
        _("target group"), max_length=16, choices=TargetGroup.choices, default=TargetGroup.ALL
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self):
        return self.name


class Service(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="services",
        verbose_name=_("organisation"),
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    target_group = models.CharField(
        _("target group"), max_length=16, choices=TargetGroup.choices, default=TargetGroup.ALL
    )
    categories = models.ManyToManyField(
        TaxonomyTerm, blank=True, related_name="services", verbose_name=_("categories")
    )
    cost = models.CharField(_("cost"), max_length=100, blank=True)
    languages = models.JSONField(
        _("languages"),
        default=list,
        blank=True,
        help_text=_('Language codes the service is offered in, e.g. ["ja", "en", "zh"].'),
    )
    application_process = models.TextField(_("how to apply"), blank=True)
    locations = models.ManyToManyField(
        "Location",
        through="ServiceAtLocation",
        blank=True,
        related_name="services",
        verbose_name=_("locations"),
    )
    visibility = models.CharField(
        _("visibility"), max_length=8, choices=Visibility.choices, default=Visibility.PUBLIC
    )

    class Meta:
        ordering = ["organisation", "name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self):
        return self.name


class Location(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="locations",
        verbose_name=_("organisation"),
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=8, blank=True)
    address = models.CharField(_("address"), max_length=300)
    district = models.ForeignKey(
        Area,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="locations",
        verbose_name=_("district"),
    )
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    accessibility = models.TextField(
        _("accessibility"), blank=True, help_text=_("e.g. 車いす可、エレベーターあり、授乳室あり")
    )
    hide_address = models.BooleanField(
        _("hide address from the public"),
        default=False,
        help_text=_("For shelters and similar places: staff still see the address."),
    )

    class Meta:
        ordering = ["organisation", "name"]
        verbose_name = _("location")
        verbose_name_plural = _("locations")

    def __str__(self):
        return self.name or self.address


class ServiceAtLocation(models.Model):
    """Where a service is given (HSDS service_at_location)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, verbose_name=_("service"))
    location = models.ForeignKey(Location, on_delete=models.CASCADE, verbose_name=_("location"))

    class Meta:
        verbose_name = _("service at location")
        verbose_name_plural = _("services at locations")
        constraints = [
            models.UniqueConstraint(fields=["service", "location"], name="unique_service_location")
        ]

    def __str__(self):
        return f"{self.service} @ {self.location}"


class Schedule(models.Model):
    """When a service is open (HSDS schedule): a recurrence rule with opening hours.

    A service open 9:00–12:30 and 15:00–18:30 has two schedules with the same rule.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="schedules", verbose_name=_("service")
    )
    rrule = models.CharField(
        _("recurrence (RFC 5545 RRULE)"),
        max_length=200,
        help_text=_("e.g. FREQ=WEEKLY;BYDAY=WE or FREQ=MONTHLY;BYDAY=2TU,4TU"),
    )
    opens_at = models.TimeField(_("opens at"), null=True, blank=True)
    closes_at = models.TimeField(_("closes at"), null=True, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    notes = models.CharField(
        _("notes"), max_length=300, blank=True, help_text=_("e.g. 祝日・年末年始は休み")
    )

    class Meta:
        ordering = ["service", "opens_at", "pk"]
        verbose_name = _("schedule")
        verbose_name_plural = _("schedules")

    def __str__(self):
        return self.rrule


class Visit(models.Model):
    """訪問調査: a welfare-council visit to a group, and what was heard there."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="visits",
        verbose_name=_("organisation"),
    )
    visited_on = models.DateField(_("visited on"))
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="visits",
        verbose_name=_("staff"),
    )
    heard = models.TextField(
        _("what was heard"), help_text=_("困りごと・要望: troubles and wishes, in their words.")
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-visited_on", "-pk"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")

    def __str__(self):
        return f"{self.organisation} {self.visited_on}"


class FollowUp(models.Model):
    visit = models.ForeignKey(
        Visit, on_delete=models.CASCADE, related_name="follow_ups", verbose_name=_("visit")
    )
    description = models.CharField(_("what"), max_length=300)
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
        verbose_name=_("person"),
    )

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self):
        return self.description


class Tie(models.Model):
    """A working relationship between two organisations, for the network map."""

    class Kind(models.TextChoices):
        COLLABORATES = "collaborates", _("Collaborates with")
        REFERS = "refers", _("Refers to")
        SHARES_VENUE = "shares_venue", _("Shares a venue with")

    source = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="ties_out",
        verbose_name=_("organisation"),
    )
    target = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="ties_in",
        verbose_name=_("other organisation"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    since = models.DateField(_("since"), null=True, blank=True)

    class Meta:
        verbose_name = _("tie")
        verbose_name_plural = _("ties")
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="unique_tie"),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="tie_between_two"
            ),
        ]

    def __str__(self):
        return f"{self.source} → {self.target} ({self.get_kind_display()})"


class OrganisationIdentifier(models.Model):
    """An identifier another register gives an organisation (HSDS organization_identifier).

    Imports match rows to entries by them, so re-importing a file updates rather than
    duplicates: a 介護保険 事業所番号, the ID of a municipality's open dataset, or, for a row that
    carries no identifier at all, a key made from its normalised name and address.
    """

    class Scheme(models.TextChoices):
        CARE_OFFICE = "jp-care-office", _("Care insurance office number (介護保険事業所番号)")
        OPEN_DATA = "jp-open-data", _("ID in a municipality's open dataset")
        IMPORT = "import", _("Name and address of an imported row")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="identifiers",
        verbose_name=_("organisation"),
    )
    scheme = models.CharField(_("scheme"), max_length=32, choices=Scheme.choices)
    identifier = models.CharField(_("identifier"), max_length=100)

    class Meta:
        verbose_name = _("organisation identifier")
        verbose_name_plural = _("organisation identifiers")
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "identifier"], name="unique_organisation_identifier"
            )
        ]

    def __str__(self):
        return f"{self.get_scheme_display()}: {self.identifier}"


class ImportJob(models.Model):
    """One run of the directory import from the upload page, run by a background task.

    The task updates the counts as it goes, and the page polls them for its progress bar. The
    file is kept in the row (not on a server's disk), so any worker can read it.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    filename = models.CharField(_("file name"), max_length=255)
    data = models.BinaryField(_("file"), editable=False)
    dry_run = models.BooleanField(_("dry run"), default=True)
    merge_duplicates = models.BooleanField(_("merge likely duplicates"), default=False)
    # The report is written in the language of the person who started the import.
    language = models.CharField(_("language"), max_length=8, blank=True)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.QUEUED)
    phase = models.CharField(_("phase"), max_length=16, blank=True)
    processed = models.PositiveIntegerField(_("rows checked"), default=0)
    total = models.PositiveIntegerField(_("rows"), default=0)
    report = models.JSONField(_("report"), default=dict, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("directory import")
        verbose_name_plural = _("directory imports")

    def __str__(self):
        return self.filename

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.REJECTED, self.State.FAILED)


# --- stewardship (resources.stewardship): the per-field change log, proposals, reports ---


class FieldChange(models.Model):
    """One field of a directory entry changed: who, when, from what to what, and through which
    door (HSDS's metadata object). Written by every path that changes an organisation."""

    class Source(models.TextChoices):
        STAFF = "staff", _("Staff directory")
        ADMIN = "admin", _("Admin")
        IMPORT = "import", _("Import")
        PROPOSAL = "proposal", _("Accepted proposal")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="field_changes",
        verbose_name=_("organisation"),
    )
    resource_type = models.CharField(_("resource type"), max_length=32, default="organization")
    resource_id = models.UUIDField(_("resource id"))
    field_name = models.CharField(_("field"), max_length=64)
    previous_value = models.TextField(_("previous value"), blank=True)
    replacement_value = models.TextField(_("replacement value"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("updated by"),
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-pk"]
        verbose_name = _("field change")
        verbose_name_plural = _("field changes")
        indexes = [models.Index(fields=["organisation", "-changed_at"])]

    def __str__(self):
        return f"{self.field_name} @ {self.changed_at:%Y-%m-%d}"


class ChangeProposal(models.Model):
    """Changes a member of an organisation proposes to its own entry; a keeper accepts or
    rejects each field (with a reason) before anything is published."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        REVIEWED = "reviewed", _("Reviewed")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="change_proposals",
        verbose_name=_("organisation"),
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    # {field: proposed value} and {field: the value stored when it was proposed}, as text.
    changes = models.JSONField(_("changes"), default=dict)
    previous = models.JSONField(_("values when proposed"), default=dict)
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    # {field: {"accepted": bool, "reason": str}}
    decisions = models.JSONField(_("decisions"), default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("proposed change")
        verbose_name_plural = _("proposed changes")

    def __str__(self):
        return f"{self.organisation} {self.created_at:%Y-%m-%d}"


class CorrectionReport(models.Model):
    """A resident's report, from the public page of an entry, that something is wrong."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Dealt with")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="correction_reports",
        verbose_name=_("organisation"),
    )
    message = models.TextField(_("what is wrong"))
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    # A keyed hash of the client's address, for the rate limit only (never the address itself).
    client_key = models.CharField(max_length=64, editable=False, db_index=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default="open")
    created_at = models.DateTimeField(_("reported at"), default=timezone.now, db_index=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("dealt with by"),
    )
    closed_at = models.DateTimeField(_("dealt with at"), null=True, blank=True)
    resolution = models.TextField(_("what was done"), blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("correction report")
        verbose_name_plural = _("correction reports")

    def __str__(self):
        return f"{self.organisation} {self.created_at:%Y-%m-%d}"
