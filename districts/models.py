"""The territory: municipality → region (地域) → district (地区 / 日常生活圏域)."""

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
    """A 町丁目 assigned to a district for a period: municipalities redraw their 圏域."""

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


class DistrictIssue(models.Model):
    """A 地域課題 at any level; evidence and escalation are added by later work."""

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

    class Meta:
        ordering = ["-raised_on", "title"]
        verbose_name = _("district issue")
        verbose_name_plural = _("district issues")

    def __str__(self):
        return self.title
