"""Imports belong to who uploaded them (issue 16): who confirmed, cancelled and undid each one,
what undo kept, and the "manage any import" permission, given to a new "Head librarians" group.

Head librarians confirm, cancel and undo anyone's import; they get the Librarians' permissions
too, so that membership of that one group is enough. Completed imports of before get their
confirmation time (their finish); who confirmed them was not recorded then.
"""

import django.db.models.deletion
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

GROUP_NAME = "Head librarians"
LIBRARIANS = "Librarians"
CODENAMES = ["manage_any_import", "import_bibtex"]
MODELS = ["article", "journal", "author", "keyword", "subjectarea", "authorship", "contributor"]
ACTIONS = ["add", "change", "view"]


def create_head_librarians(apps, schema_editor):
    # Permissions are normally created after migrate (post_migrate); make sure ours exist now.
    catalogue_config = apps.get_app_config("catalogue")
    catalogue_config.models_module = True
    create_permissions(catalogue_config, apps=apps, verbosity=0)
    catalogue_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    codenames = CODENAMES + [f"{action}_{model}" for model in MODELS for action in ACTIONS]
    permissions = list(
        Permission.objects.filter(content_type__app_label="catalogue", codename__in=codenames)
    )
    missing = set(codenames) - {permission.codename for permission in permissions}
    if missing:
        raise RuntimeError(f"Permissions missing for the Head librarians group: {sorted(missing)}")
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    group.permissions.add(*permissions)
    librarians = Group.objects.filter(name=LIBRARIANS).first()
    if librarians is not None:
        group.permissions.add(*librarians.permissions.all())

    ImportBatch = apps.get_model("catalogue", "ImportBatch")
    ImportBatch.objects.filter(status__in=["completed", "undone"], confirmed=None).update(
        confirmed=models.F("finished")
    )


def remove_head_librarians(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0019_librarians_edit_contributors_and_merge_people"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="importbatch",
            options={
                "ordering": ["-created", "-pk"],
                "permissions": [
                    ("import_bibtex", "Can import BibTeX"),
                    ("manage_any_import", "Can confirm, cancel and undo anyone's import"),
                ],
                "verbose_name_plural": "import batches",
            },
        ),
        migrations.AddField(
            model_name="importbatch",
            name="cancelled",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="importbatch",
            name="cancelled_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="importbatch",
            name="confirmed",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="importbatch",
            name="confirmed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="importbatch",
            name="undo_kept",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="Records undo kept, and why.",
                verbose_name="kept by undo",
            ),
        ),
        migrations.AlterField(
            model_name="importbatch",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Awaiting confirmation"),
                    ("previewed", "Previewed (dry run)"),
                    ("completed", "Completed"),
                    ("failed", "Failed"),
                    ("undone", "Undone"),
                    ("cancelled", "Cancelled"),
                ],
                default="pending",
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="importbatch",
            name="user",
            field=models.ForeignKey(
                blank=True,
                help_text="Who uploaded it; empty for the command line run without --user.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="import_batches",
                to=settings.AUTH_USER_MODEL,
                verbose_name="uploaded by",
            ),
        ),
        migrations.RunPython(create_head_librarians, remove_head_librarians),
    ]
