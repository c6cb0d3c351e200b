from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _restore_planner_costs(sender: AppConfig, **kwargs: object) -> None:
    from catalogue.search.index import restore_planner_costs

    restore_planner_costs(**kwargs)


class CatalogueConfig(AppConfig):
    name = "catalogue"
    verbose_name = "Research catalogue"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # A restored dump loses migration 0009's planner cost: every migrate sets it again.
        post_migrate.connect(_restore_planner_costs, sender=self)
