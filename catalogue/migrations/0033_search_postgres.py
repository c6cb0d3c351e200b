"""Reserved for issue 17's fourth session; filled by the helper that owns it or removed."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0032_import_speed_2")]

    operations = []
