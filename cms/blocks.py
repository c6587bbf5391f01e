"""StreamField blocks for the public site's pages: StructBlocks with their own templates
(cms/templates/cms/blocks/), as wagtail/bakerydemo does. Images go through Wagtail's ImageBlock,
which refuses an image without alt text unless the editor marks it decorative."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageBlock


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("heading"), max_length=120)
    level = blocks.ChoiceBlock(
        label=_("level"),
        choices=[("h2", _("Section (h2)")), ("h3", _("Subsection (h3)"))],
        default="h2",
    )

    class Meta:
        template = "cms/blocks/heading.html"
        icon = "title"
        label = _("Heading")
        description = _("A heading: pages keep one h1 (the title), sections use h2 and h3.")
        preview_value = {"text": "相談の流れ", "level": "h2"}


class FigureBlock(blocks.StructBlock):
    image = ImageBlock(label=_("image"))
    caption = blocks.CharBlock(label=_("caption"), required=False, max_length=200)

    class Meta:
        template = "cms/blocks/figure.html"
        icon = "image"
        label = _("Image")
        description = _("An image with alt text (required unless it is decorative).")


class NoticeBlock(blocks.StructBlock):
    kind = blocks.ChoiceBlock(
        label=_("kind"),
        choices=[("info", _("Information")), ("important", _("Important"))],
        default="info",
    )
    title = blocks.CharBlock(label=_("title"), max_length=120)
    text = blocks.RichTextBlock(label=_("text"), features=["bold", "link", "ul", "ol"])

    class Meta:
        template = "cms/blocks/notice.html"
        icon = "warning"
        label = _("Notice")
        description = _("A boxed message, e.g. a change of opening hours.")
        preview_value = {
            "kind": "important",
            "title": "年末年始の休業",
            "text": "<p>12月29日〜1月3日は休みます。</p>",
        }


class ContactBlock(blocks.StructBlock):
    name = blocks.CharBlock(label=_("name"), max_length=120)
    phone = blocks.CharBlock(label=_("phone"), max_length=40, required=False)
    hours = blocks.CharBlock(label=_("hours"), max_length=120, required=False)
    email = blocks.EmailBlock(label=_("e-mail"), required=False)

    class Meta:
        template = "cms/blocks/contact.html"
        icon = "mail"
        label = _("Contact")
        description = _("Where to call or write, with the hours someone answers.")
        preview_value = {
            "name": "桜台こども家庭センター",
            "phone": "03-0000-0000",
            "hours": "平日 8:30〜17:15",
        }


class QuestionBlock(blocks.StructBlock):
    question = blocks.CharBlock(label=_("question"), max_length=200)
    answer = blocks.RichTextBlock(label=_("answer"), features=["bold", "link", "ul", "ol"])

    class Meta:
        template = "cms/blocks/question.html"
        icon = "help"
        label = _("Question and answer")
        description = _("A question that opens to its answer (works without JavaScript).")


class LinkBlock(blocks.StructBlock):
    page = blocks.PageChooserBlock(label=_("page"), required=False)
    url = blocks.URLBlock(label=_("address"), required=False)
    text = blocks.CharBlock(label=_("link text"), max_length=120)

    class Meta:
        icon = "link"
        label = _("Link")


class LinkListBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("title"), max_length=120, required=False)
    links = blocks.ListBlock(LinkBlock(), label=_("links"))

    class Meta:
        template = "cms/blocks/link_list.html"
        icon = "list-ul"
        label = _("List of links")


class StepsBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("title"), max_length=120)
    steps = blocks.ListBlock(blocks.CharBlock(max_length=300), label=_("steps"))

    class Meta:
        template = "cms/blocks/steps.html"
        icon = "list-ol"
        label = _("Steps")
        description = _("Numbered steps, e.g. how to consult.")


class BodyBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(
        label=_("Paragraph"),
        icon="pilcrow",
        features=["bold", "italic", "link", "document-link", "ul", "ol"],
        template="cms/blocks/paragraph.html",
    )
    figure = FigureBlock()
    notice = NoticeBlock()
    contact = ContactBlock()
    question = QuestionBlock()
    links = LinkListBlock()
    steps = StepsBlock()


class HelpLineBlock(blocks.StructBlock):
    """An emergency or help line on every page (site settings)."""

    name = blocks.CharBlock(label=_("name"), max_length=100)
    name_en = blocks.CharBlock(label=_("name in English"), max_length=100, required=False)
    number = blocks.CharBlock(label=_("number"), max_length=40)
    hours = blocks.CharBlock(label=_("when"), max_length=100, required=False)
    hours_en = blocks.CharBlock(label=_("when, in English"), max_length=100, required=False)
    url = blocks.URLBlock(label=_("web page"), required=False)

    class Meta:
        icon = "mobile-alt"
        label = _("Help line")
