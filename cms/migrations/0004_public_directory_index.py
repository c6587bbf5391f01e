"""An index for the public directory's default listing: public organisations in 五十音 order
(cms.selectors.directory_search), so the first page reads twenty index entries instead of
sorting every organisation. Created here, beside the page that needs it, with plain SQL that
SQLite and PostgreSQL both accept; resources' own models do not know of it."""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS cms_public_directory_order "
    "ON resources_organisation (visibility, reading, name, id)"
)
DROP = "DROP INDEX IF EXISTS cms_public_directory_order"


class Migration(migrations.Migration):
    dependencies = [("cms", "0003_public_site"), ("resources", "0001_initial")]
    operations = [migrations.RunSQL(CREATE, DROP)]
