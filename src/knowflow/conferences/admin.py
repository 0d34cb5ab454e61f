"""Conferences in the Django admin: the conference with its tracks and talks (checked as the
services check them), and its releases, read-only: a release is made by publishing, from the
programme's publish page, and is never edited or deleted (the changelog is their list)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from knowflow.conferences import services
from knowflow.conferences.models import Conference, ConferenceTalk, Release, Track
from knowflow.errors import DomainError


class ConferenceForm(forms.ModelForm):
    class Meta:
        model = Conference
        fields = ["name", "slug", "description", "timezone", "starts_on", "ends_on"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            data["name"], slug = services.check_conference_fields(
                name=data["name"],
                slug=data.get("slug") or self.instance.slug or "",
                timezone=data["timezone"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                conference=self.instance if self.instance.pk else None,
            )
        except DomainError as error:
            field = error.field if error.field in self.fields else None
            self.add_error(field, error.message)
            return data
        if "slug" in self.fields:
            data["slug"] = slug
        return data


class TrackForm(forms.ModelForm):
    class Meta:
        model = Track
        fields = ["name", "colour"]

    def clean_colour(self) -> str:
        colour = self.cleaned_data["colour"].strip()
        if not services.COLOUR.fullmatch(colour):
            raise forms.ValidationError("The colour is written #rrggbb, e.g. #1f5fbf.")
        return colour.lower()


class TrackInline(admin.TabularInline):
    model = Track
    form = TrackForm
    fields = ("name", "colour", "slug")
    readonly_fields = ("slug",)
    extra = 0


class TalkForm(forms.ModelForm):
    class Meta:
        model = ConferenceTalk
        fields = ["session", "track"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        track = data.get("track")
        if track is not None and track.conference_id != self.instance.conference_id:
            self.add_error("track", f"{track.name} is a track of another conference.")
        return data


class TalkInline(admin.TabularInline):
    model = ConferenceTalk
    form = TalkForm
    fields = ("session", "track", "guid")
    readonly_fields = ("guid",)
    raw_id_fields = ("session",)
    extra = 0


@admin.register(Conference)
class ConferenceAdmin(admin.ModelAdmin):
    form = ConferenceForm
    list_display = ("name", "slug", "starts_on", "ends_on", "timezone")
    search_fields = ("name", "slug")
    inlines = [TrackInline, TalkInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Conference | None = None) -> Any:
        # The slug starts every export URL and gave the acronym apps key their data on.
        return ("slug", "acronym") if obj is not None else ("acronym",)

    def save_model(self, request: HttpRequest, obj: Conference, form: Any, change: bool) -> None:
        if not change:
            obj.acronym = services.acronym_for(obj.slug)
            obj.created_by = getattr(request, "viewer", None)
        super().save_model(request, obj, form, change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        for instance in formset.save(commit=False):
            if isinstance(instance, Track) and not instance.slug:
                instance.slug = services.track_slug_for(instance.conference, instance.name)
            instance.save()
        for gone in formset.deleted_objects:
            gone.delete()
        formset.save_m2m()


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    list_display = ("conference", "number", "published_at", "published_by")
    list_filter = ("conference",)
    readonly_fields = ("conference", "number", "published_at", "published_by", "changes")
    exclude = ("schedule",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Release | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Release | None = None) -> bool:
        return False
