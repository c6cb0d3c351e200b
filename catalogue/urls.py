"""URL configuration: the catalogue's pages under the `catalogue` namespace, and the admin."""

from django.contrib import admin
from django.urls import include, path

from catalogue.views import imports, pages

app_name = "catalogue"

catalogue_patterns = [
    path("", pages.home, name="home"),
    path("search/", pages.search, name="search"),
    path("articles/<int:pk>/", pages.article_detail, name="article-detail"),
    path("journals/<int:pk>/", pages.journal_detail, name="journal-detail"),
    path("authors/<int:pk>/", pages.author_detail, name="author-detail"),
    path("keywords/<slug:slug>/", pages.keyword_detail, name="keyword-detail"),
    path("subjects/<int:pk>/", pages.subject_detail, name="subject-detail"),
    # DOIs contain slashes and may arrive with a resolver prefix: take the rest of the path.
    path("doi/<path:doi>", pages.doi_redirect, name="doi-redirect"),
    path("import/", imports.import_start, name="import"),
    path("import/history/", imports.import_history, name="import-history"),
    path("import/<int:pk>/", imports.import_detail, name="import-detail"),
    path("import/<int:pk>/confirm/", imports.import_confirm, name="import-confirm"),
    path("import/<int:pk>/undo/", imports.import_undo, name="import-undo"),
]

urlpatterns = [
    path("", include((catalogue_patterns, "catalogue"))),
    path("admin/", admin.site.urls),
]

handler404 = "catalogue.views.pages.page_not_found"
handler500 = "catalogue.views.pages.server_error"
