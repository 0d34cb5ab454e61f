from django.contrib import admin

from knowflow.insights.models import (
    DashboardRollup,
    DuplicateCluster,
    HourlyCost,
    RoiCost,
    RoiIntangible,
    RoiStudy,
    RoiTrainingAvoided,
)


@admin.register(DuplicateCluster)
class DuplicateClusterAdmin(admin.ModelAdmin):
    list_display = ["id", "status", "score", "decided_by", "decided_at"]
    list_filter = ["status"]
    raw_id_fields = ["sessions", "resources", "merged_into", "merged_into_resource", "decided_by"]


@admin.register(HourlyCost)
class HourlyCostAdmin(admin.ModelAdmin):
    list_display = ["org_unit", "office", "amount", "source"]


class RoiCostInline(admin.TabularInline):
    model = RoiCost
    extra = 0


class RoiTrainingInline(admin.TabularInline):
    model = RoiTrainingAvoided
    extra = 0


class RoiIntangibleInline(admin.TabularInline):
    model = RoiIntangible
    extra = 0


@admin.register(RoiStudy)
class RoiStudyAdmin(admin.ModelAdmin):
    list_display = ["title", "scope", "period_start", "period_end", "isolation_method"]
    inlines = [RoiCostInline, RoiTrainingInline, RoiIntangibleInline]


@admin.register(DashboardRollup)
class DashboardRollupAdmin(admin.ModelAdmin):
    list_display = ["period", "start", "end", "computed_at", "seconds"]
    readonly_fields = ["figures"]
