"""URL configuration: the catalogue's pages under the `catalogue` namespace, and the admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from catalogue import feeds, health
from catalogue.search import api, facet_page
from catalogue.search import views as search
from catalogue.views import articles, browse, imports, pages, selected
from catalogue.views import styles as style_views
from catalogue.views import summaries as summary_views
from catalogue.views import topics as topic_views

catalogue_patterns = [
    path("", pages.home, name="home"),
    path("search/", search.search_page, name="search"),
    path("search/facets/<str:facet>/", facet_page.facet_page, name="search-facet"),
    path("search/export/", search.export_results, name="search-export"),
    path("articles/<int:pk>/", articles.article_detail, name="article-detail"),
    path("articles/<int:pk>/cite/", style_views.article_citation, name="article-cite"),
    path("styles/", style_views.style_list, name="style-list"),
    # Any id is looked up (unknown ones, "..", NUL: 404); "/" never reaches the view.
    path("styles/<str:style_id>.csl", style_views.style_file_view, name="style-file"),
    # journal-, author-, keyword- and subject-detail and -export: ENTITY_LISTS in views/pages.py.
    *pages.entity_list_urls(),
    path("summaries/", summary_views.summary_list, name="summary-list"),
    path("summaries/<slug:slug>/", summary_views.summary_detail, name="summary-detail"),
    # DOIs contain slashes and may arrive with a resolver prefix: take the rest of the path.
    path("doi/<path:doi>", pages.doi_redirect, name="doi-redirect"),
    path("import/", imports.import_start, name="import"),
    path("import/history/", imports.import_history, name="import-history"),
    path("import/<int:pk>/", imports.import_detail, name="import-detail"),
    path("import/<int:pk>/confirm/", imports.import_confirm, name="import-confirm"),
    path("import/<int:pk>/run-again/", imports.import_rerun, name="import-rerun"),
    path("import/<int:pk>/undo/", imports.import_undo, name="import-undo"),
    # Each of these modules declares its own URL patterns (issue 18's and 19's pages).
    *selected.urlpatterns,
    *browse.urlpatterns,
    *feeds.urlpatterns,
    *topic_views.urlpatterns,
    path("api/articles/", api.ArticleListView.as_view(), name="api-article-list"),
    path("api/articles/<int:pk>/", api.ArticleDetailView.as_view(), name="api-article-detail"),
    path("api/schema/", api.SchemaView.as_view(), name="api-schema"),
    path("api/docs/", api.DocsView.as_view(url_name="catalogue:api-schema"), name="api-docs"),
    # For load balancers and monitoring: the node, the database it reads, replica lag, cache.
    path("health/", health.health, name="health"),
]

urlpatterns = [
    path("", include((catalogue_patterns, "catalogue"))),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]

handler404 = "catalogue.views.pages.page_not_found"
handler500 = "catalogue.views.pages.server_error"
