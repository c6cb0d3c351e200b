"""Placeholder created by the lead so that urls.py can include this module's patterns; the owning helper replaces this docstring."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
