"""Librarians edit contributors and merge, split and undo people (issue 14).

The Librarians group (0003) may add, change and view records; contributors are new records of
an article, and merging people deletes the merged-away person, so the group gets the
contributor permissions, "delete author" and the view of person changes (their undo is an
action of that list).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "Librarians"
CODENAMES = [
    "add_contributor",
    "change_contributor",
    "view_contributor",
    "delete_author",
    "view_personchange",
]


def grant(apps, schema_editor):
    # Permissions are normally created after migrate (post_migrate); make sure ours exist now.
    catalogue_config = apps.get_app_config("catalogue")
    catalogue_config.models_module = True
    create_permissions(catalogue_config, apps=apps, verbosity=0)
    catalogue_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP_NAME).first()
    if group is None:  # removed on purpose by the site's admins: nothing to grant
        return
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="catalogue", codename__in=CODENAMES)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP_NAME).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="catalogue", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0018_search_printed_names"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
