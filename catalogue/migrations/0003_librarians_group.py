"""Create the "Librarians" group: may import BibTeX and add, change and view catalogue records."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "Librarians"
MODELS = ["article", "journal", "author", "keyword", "subjectarea", "authorship"]
ACTIONS = ["add", "change", "view"]


def create_librarians(apps, schema_editor):
    # Permissions are normally created after migrate (post_migrate); make sure ours exist now.
    catalogue_config = apps.get_app_config("catalogue")
    catalogue_config.models_module = True
    create_permissions(catalogue_config, apps=apps, verbosity=0)
    catalogue_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    codenames = ["import_bibtex"] + [
        f"{action}_{model}" for model in MODELS for action in ACTIONS
    ]
    permissions = Permission.objects.filter(
        content_type__app_label="catalogue", codename__in=codenames
    )
    missing = set(codenames) - set(permissions.values_list("codename", flat=True))
    if missing:
        raise RuntimeError(f"Permissions missing for the Librarians group: {sorted(missing)}")
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    group.permissions.add(*permissions)


def remove_librarians(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0002_importbatch_importrecord"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_librarians, remove_librarians)]
