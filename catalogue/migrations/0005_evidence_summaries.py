"""Evidence summaries and their literature lists; librarians may write and edit them."""

import django.core.validators
import django.db.models.deletion
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

GROUP_NAME = "Librarians"
# Literature entries are removed from a summary's list in the admin inline: that needs delete.
CODENAMES = [
    "add_evidencesummary",
    "change_evidencesummary",
    "view_evidencesummary",
    "add_literatureentry",
    "change_literatureentry",
    "delete_literatureentry",
    "view_literatureentry",
]


def grant_librarians(apps, schema_editor):
    # Permissions are normally created after migrate (post_migrate); make sure ours exist now.
    catalogue_config = apps.get_app_config("catalogue")
    catalogue_config.models_module = True
    create_permissions(catalogue_config, apps=apps, verbosity=0)
    catalogue_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="catalogue", codename__in=CODENAMES
    )
    missing = set(CODENAMES) - set(permissions.values_list("codename", flat=True))
    if missing:
        raise RuntimeError(f"Permissions missing for the Librarians group: {sorted(missing)}")
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    group.permissions.add(*permissions)


def revoke_librarians(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="catalogue", codename__in=CODENAMES
    )
    for group in Group.objects.filter(name=GROUP_NAME):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):

    dependencies = [
        ('catalogue', '0004_search'),
    ]

    operations = [
        migrations.CreateModel(
            name='EvidenceSummary',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(max_length=300)),
                ('slug', models.SlugField(help_text="The end of the page's address; made from the title when left empty.", max_length=200, unique=True)),
                ('question', models.TextField(help_text='The question as the patient or clinician asked it; shown as a quotation.')),
                ('standfirst', models.CharField(help_text='The answer in one sentence, shown under the title.', max_length=500)),
                ('body', models.TextField(help_text='Markdown: “## Heading” for sections, blank lines between paragraphs, “- item” for bullet lists, *emphasis*, **strong**, [links](https://…). HTML, scripts and images are removed.')),
                ('author_bio', models.TextField(blank=True, help_text='A short biography shown after the summary.', verbose_name='about the author')),
                ('audience', models.CharField(choices=[('patients', 'Patients'), ('clinicians', 'Clinicians'), ('both', 'Patients and clinicians')], default='both', max_length=10)),
                ('published', models.DateField(blank=True, help_text='Empty while the summary is a draft: only published summaries are listed.', null=True, verbose_name='publication date')),
                ('last_reviewed', models.DateField(blank=True, null=True, verbose_name='last reviewed')),
                ('created', models.DateTimeField(auto_now_add=True)),
                ('updated', models.DateTimeField(auto_now=True)),
                ('author', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='evidence_summaries', to='catalogue.author')),
            ],
            options={
                'verbose_name_plural': 'evidence summaries',
                'ordering': [models.OrderBy(models.F('published'), descending=True, nulls_last=True), '-pk'],
            },
        ),
        migrations.CreateModel(
            name='LiteratureEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveSmallIntegerField(help_text='1 for the first entry of the list.', validators=[django.core.validators.MinValueValidator(1)])),
                ('citation_text', models.TextField(blank=True, help_text='The reference as written; shown when no record is linked. Filled in APA from the record when left empty.')),
                ('note', models.TextField(blank=True, help_text='Optional remark shown under the reference.')),
                ('article', models.ForeignKey(blank=True, help_text='The cited record; leave empty for a work not in the catalogue yet.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='summary_entries', to='catalogue.article')),
                ('summary', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='literature', to='catalogue.evidencesummary')),
            ],
            options={
                'verbose_name_plural': 'literature entries',
                'ordering': ['summary', 'position'],
            },
        ),
        migrations.AddIndex(
            model_name='evidencesummary',
            index=models.Index(fields=['published'], name='summary_published'),
        ),
        migrations.AddConstraint(
            model_name='evidencesummary',
            constraint=models.CheckConstraint(condition=models.Q(('audience__in', ['patients', 'clinicians', 'both'])), name='summary_audience_valid', violation_error_message='Choose patients, clinicians or both.'),
        ),
        migrations.AddConstraint(
            model_name='evidencesummary',
            constraint=models.CheckConstraint(condition=models.Q(('slug', ''), _negated=True), name='summary_slug_not_empty', violation_error_message='A summary needs a slug.'),
        ),
        migrations.AddConstraint(
            model_name='evidencesummary',
            constraint=models.CheckConstraint(condition=models.Q(('last_reviewed__isnull', True), models.Q(('published__isnull', False), ('last_reviewed__gte', models.F('published'))), _connector='OR'), name='summary_reviewed_after_published', violation_error_message='A summary is last reviewed on or after its publication.'),
        ),
        migrations.AddConstraint(
            model_name='literatureentry',
            constraint=models.UniqueConstraint(fields=('summary', 'position'), name='literature_unique_position', violation_error_message='Two literature entries cannot share one position.'),
        ),
        migrations.AddConstraint(
            model_name='literatureentry',
            constraint=models.UniqueConstraint(condition=models.Q(('article__isnull', False)), fields=('summary', 'article'), name='literature_unique_article', violation_error_message='This record is already in the literature list.'),
        ),
        migrations.AddConstraint(
            model_name='literatureentry',
            constraint=models.CheckConstraint(condition=models.Q(('position__gte', 1)), name='literature_position_positive', violation_error_message='Positions start at 1.'),
        ),
        migrations.AddConstraint(
            model_name='literatureentry',
            constraint=models.CheckConstraint(condition=models.Q(('citation_text', ''), _negated=True), name='literature_has_citation_text', violation_error_message='A literature entry needs its citation text, so that it is kept if the record is deleted.'),
        ),
        migrations.RunPython(grant_librarians, revoke_librarians),
    ]
