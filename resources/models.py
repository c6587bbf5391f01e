"""The directory of local resources, aligned with Open Referral HSDS (organization, service,
location)."""

import uuid

from django.db import models
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
    last_verified_on = models.DateField(_("last verified on"), null=True, blank=True)

    class Meta:
        ordering = ["reading", "name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        indexes = [models.Index(fields=["kind", "visibility"])]

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
    schedule_rrule = models.CharField(
        _("schedule (RFC 5545 RRULE)"),
        max_length=200,
        blank=True,
        help_text=_("e.g. FREQ=MONTHLY;BYDAY=2TU,4TU"),
    )
    schedule_note = models.CharField(_("schedule note"), max_length=200, blank=True)
    cost = models.CharField(_("cost"), max_length=100, blank=True)
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
