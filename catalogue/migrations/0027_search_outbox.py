"""Reserved for this session's work (issue 17); filled in by the helper that owns it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0026_search_speed")]

    operations = []
