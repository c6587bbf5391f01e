"""The territory: municipality → region (地域) → district (地区 / 日常生活圏域)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TargetGroup(models.TextChoices):
    """Who a service, case or issue is about; shared by every app above this one."""

    CHILDREN = "children", _("Children and child-rearing")
    ELDERLY = "elderly", _("Older people")
    DISABILITY = "disability", _("People with disabilities")
    HARDSHIP = "hardship", _("Financial hardship")
    ALL = "all", _("All generations")


class Area(models.Model):
    class Level(models.TextChoices):
        MUNICIPALITY = "municipality", _("Municipality")
        REGION = "region", _("Region")
        DISTRICT = "district", _("District")

    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent area"),
    )
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    reading = models.CharField(
        _("reading"),
        max_length=200,
        blank=True,
        help_text=_("読み仮名 in hiragana, for 五十音 order."),
    )
    boundary = models.JSONField(_("boundary (GeoJSON)"), null=True, blank=True)

    class Meta:
        ordering = ["reading", "code"]
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        indexes = [models.Index(fields=["level", "parent"])]

    def __str__(self):
        return self.name

    def ancestors(self) -> list["Area"]:
        """This area's parents, nearest first (the tree is at most three levels deep)."""
        chain, node = [], self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain


class Chome(models.Model):
    """A 町丁目 assigned to a district for a period: municipalities redraw their 圏域.

    The same 町丁目 appears once per period it belonged to a district; valid_to is the last day
    (inclusive), empty while it still belongs there.
    """

    area = models.ForeignKey(
        Area, on_delete=models.CASCADE, related_name="chome", verbose_name=_("district")
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("e.g. 桜台三丁目"))
    reading = models.CharField(_("reading"), max_length=200, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        ordering = ["area", "reading", "name"]
        verbose_name = _("町丁目")
        verbose_name_plural = _("町丁目")

    def __str__(self):
        return self.name


AGE_BANDS = [f"{low}-{low + 4}" for low in range(0, 85, 5)] + ["85+"]


class Sex(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")
    ALL = "all", _("All")


class PopulationFigure(models.Model):
    """Residents of an area on a survey date, per 5-year age band and sex.

    Stored for the most specific area the source gave (a district, after its 町丁目 were rolled up
    under the membership in force on the survey date, or a municipality); parents without figures
    of their own sum their children's.
    """

    area = models.ForeignKey(
        Area, on_delete=models.CASCADE, related_name="population", verbose_name=_("area")
    )
    surveyed_on = models.DateField(_("survey date"))
    age_band = models.CharField(
        _("age band"), max_length=8, choices=[(band, band) for band in AGE_BANDS]
    )
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices, default=Sex.ALL)
    count = models.PositiveIntegerField(_("count"))

    class Meta:
        verbose_name = _("population figure")
        verbose_name_plural = _("population figures")
        constraints = [
            models.UniqueConstraint(
                fields=["area", "surveyed_on", "age_band", "sex"], name="unique_population_figure"
            ),
        ]
        indexes = [models.Index(fields=["area", "surveyed_on"])]

    def __str__(self):
        return f"{self.area} {self.surveyed_on} {self.age_band} {self.sex}: {self.count}"


class HouseholdFigure(models.Model):
    area = models.ForeignKey(
        Area, on_delete=models.CASCADE, related_name="households", verbose_name=_("area")
    )
    surveyed_on = models.DateField(_("survey date"))
    count = models.PositiveIntegerField(_("households"))

    class Meta:
        verbose_name = _("household figure")
        verbose_name_plural = _("household figures")
        constraints = [
            models.UniqueConstraint(fields=["area", "surveyed_on"], name="unique_household_figure"),
        ]

    def __str__(self):
        return f"{self.area} {self.surveyed_on}: {self.count}"


class PopulationTotal(models.Model):
    """One area's own population figures for one survey date, added up as PopulationSummary
    adds them: what a page listing every district (the comparison) shows, read as one row per
    district instead of 36 figures.

    Derived data, never edited: districts.population.refresh_population_totals rewrites the
    rows of the areas and dates it is given from their PopulationFigure rows, and every write of
    figures (the import, the demo data) calls it in the same transaction, so a row exists exactly
    for each (area, survey date) with figures of its own. Areas without figures of their own (a
    region summing its districts) have no rows. Not shown in any admin, so no translated labels.
    """

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="population_totals")
    surveyed_on = models.DateField()
    total = models.PositiveIntegerField()
    aged_65 = models.PositiveIntegerField()  # 65 and over
    aged_75 = models.PositiveIntegerField()  # 75 and over
    # Estimated from 5-year bands, as PopulationSummary estimates them.
    children_0_5 = models.PositiveIntegerField()
    children_6_17 = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["area", "surveyed_on"], name="unique_population_total"),
        ]

    def __str__(self):
        return f"{self.area} {self.surveyed_on}: {self.total}"

    # The same formulas as PopulationSummary's (a test holds them equal).
    @property
    def ageing_rate(self) -> float | None:
        return 100 * self.aged_65 / self.total if self.total else None

    @property
    def ageing_rate_75(self) -> float | None:
        return 100 * self.aged_75 / self.total if self.total else None

    @property
    def child_share(self) -> float | None:
        children = self.children_0_5 + self.children_6_17
        return 100 * children / self.total if self.total else None


class Assessment(models.Model):
    """地区アセスメント: what an area's partners see in it, per year."""

    area = models.ForeignKey(
        Area, on_delete=models.CASCADE, related_name="assessments", verbose_name=_("area")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    strengths = models.TextField(_("strengths"), blank=True)
    challenges = models.TextField(_("challenges"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    participants = models.TextField(
        _("who took part"), blank=True, help_text=_("Organisations and people, one per line.")
    )
    # Raised on every save; an edit based on an older version is refused, never overwrites.
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        ordering = ["area", "-year"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        constraints = [
            models.UniqueConstraint(fields=["area", "year"], name="unique_assessment_per_year"),
        ]

    def __str__(self):
        return f"{self.area} {self.year}"


class AssessmentRevision(models.Model):
    """Every saved state of an assessment, with who saved it and when."""

    assessment = models.ForeignKey(
        Assessment,
        on_delete=models.CASCADE,
        related_name="revisions",
        verbose_name=_("assessment"),
    )
    version = models.PositiveIntegerField(_("version"))
    strengths = models.TextField(_("strengths"), blank=True)
    challenges = models.TextField(_("challenges"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    participants = models.TextField(_("who took part"), blank=True)
    saved_at = models.DateTimeField(_("saved at"), auto_now_add=True)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("saved by"),
    )

    class Meta:
        ordering = ["assessment", "-version"]
        verbose_name = _("assessment revision")
        verbose_name_plural = _("assessment revisions")
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "version"], name="unique_assessment_revision"
            ),
        ]

    def __str__(self):
        return f"{self.assessment} v{self.version}"


class DistrictIssue(models.Model):
    """A 地域課題 at any level, moving raised → discussed → escalated → addressed → closed."""

    class Status(models.TextChoices):
        RAISED = "raised", _("Raised")
        DISCUSSED = "discussed", _("Discussed")
        ESCALATED = "escalated", _("Escalated")
        ADDRESSED = "addressed", _("Addressed")
        CLOSED = "closed", _("Closed")

    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="issues", verbose_name=_("area")
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    target_group = models.CharField(
        _("target group"), max_length=16, choices=TargetGroup.choices, default=TargetGroup.ALL
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.RAISED
    )
    raised_on = models.DateField(_("raised on"))
    raised_in = models.ForeignKey(
        Area,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("first raised in"),
        help_text=_("Where the issue started; `area` moves up when it is escalated."),
    )
    closed_reason = models.TextField(_("reason for closing"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-raised_on", "title"]
        verbose_name = _("district issue")
        verbose_name_plural = _("district issues")
        indexes = [models.Index(fields=["status", "area"])]

    def __str__(self):
        return self.title


class IssueStatusChange(models.Model):
    """One step of an issue's history: who moved it, when, why, and between which areas.

    The meeting that decided a change is linked from the conferences app, which sits above this
    one (a district issue must not depend on how meetings are kept).
    """

    issue = models.ForeignKey(
        DistrictIssue,
        on_delete=models.CASCADE,
        related_name="status_changes",
        verbose_name=_("district issue"),
    )
    from_status = models.CharField(
        _("from"), max_length=16, choices=DistrictIssue.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=16, choices=DistrictIssue.Status.choices)
    from_area = models.ForeignKey(
        Area,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("from area"),
    )
    to_area = models.ForeignKey(
        Area,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("to area"),
    )
    reason = models.TextField(_("why"), blank=True)
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("changed by"),
    )

    class Meta:
        ordering = ["issue", "changed_at", "pk"]
        verbose_name = _("issue status change")
        verbose_name_plural = _("issue status changes")

    def __str__(self):
        return f"{self.issue}: {self.from_status} → {self.to_status}"
