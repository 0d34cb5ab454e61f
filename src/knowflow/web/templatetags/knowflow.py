"""Template filters used across pages: Markdown, stored links, language names, times in a
given person's zone, and numbers and money in the viewer's locale."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from decimal import Decimal

from django import template
from django.utils.safestring import SafeString, mark_safe

from knowflow import l10n
from knowflow.languages import language_name as _language_name
from knowflow.links import is_web_url
from knowflow.web.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    return mark_safe(render_markdown(text))  # noqa: S308 - sanitised by nh3


@register.filter
def web_url(value: str) -> str:
    """The stored link when it is an http(s) address, else ``""``: a link saved before only
    http(s) was accepted (``javascript:…``) must not become a live ``href``."""
    return value if value and is_web_url(value) else ""


@register.filter
def language_name(code: str) -> str:
    """``"en"`` → ``"English"``: the stored code in words."""
    return _language_name(code)


@register.filter
def in_zone(moment: datetime | None, zone_name: str) -> str:
    """``14:00 Tue (Asia/Kolkata)``-style local time of ``moment`` in ``zone_name``."""
    if moment is None:
        return ""
    local = moment.astimezone(zoneinfo.ZoneInfo(zone_name))
    return f"{local:%a %H:%M} {local.tzname()}"


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: object) -> str:
    """The current query string with some parameters replaced (for filters and paging)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = str(value)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def money(context: template.Context, amount: object) -> str:
    """``{% money r.costs %}``: "212,940.00" for an English reader, "212.940,00 €" for a German
    one when the organisation's currency is the euro (``knowflow.l10n``)."""
    return l10n.format_money(_decimal(amount), locale=l10n.viewer_locale(context.get("request")))


@register.simple_tag(takes_context=True)
def number(context: template.Context, value: object, decimals: int | None = None) -> str:
    """``{% number n %}``: a count or measure grouped as the viewer's locale groups it."""
    figure = _decimal(value)
    if figure is None and value not in (None, ""):
        return str(value)  # not a number ("new", a note): shown as it is
    return l10n.format_number(
        figure, locale=l10n.viewer_locale(context.get("request")), decimals=decimals
    )


@register.simple_tag(takes_context=True)
def share(context: template.Context, value: object) -> str:
    """``{% share 0.85 %}``: "85%" or "85 %", as the viewer's locale writes a percentage."""
    return l10n.format_share(_decimal(value), locale=l10n.viewer_locale(context.get("request")))


def _decimal(value: object) -> Decimal | None:
    """Figures reach templates as Decimals, floats, ints or (from a frozen version's JSON)
    strings; anything else is no figure."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, bool):
        return None
    try:
        figure = Decimal(str(value))
    except ArithmeticError:
        return None
    return figure if figure.is_finite() else None


@register.filter
def get_item(mapping: dict, key: object) -> object:
    return mapping.get(key) if mapping else None


@register.inclusion_tag("web/_nav_links.html", takes_context=True)
def main_nav_links(context: template.Context, *, menu: bool = False) -> dict:
    """The main navigation's links for the viewer's roles; each app's permissions decide
    (the pages check again). Rendered twice by base.html: a bar on wide screens, a menu on
    phones (``menu=True``: one flat list, no "More")."""
    from django.conf import settings

    from knowflow.feedback import permissions as feedback
    from knowflow.insights import permissions as insights
    from knowflow.mail import permissions as mail
    from knowflow.webhooks import permissions as webhooks

    viewer = context["viewer"]
    return {
        "viewer": viewer,
        "menu": menu,
        "csrf_token": context.get("csrf_token"),
        "programme": feedback.can_view_programme(actor=viewer),
        "templates": feedback.can_manage_templates(actor=viewer),
        "open_actions": feedback.can_view_open_actions(actor=viewer),
        "insights": insights.can_view_insights(actor=viewer),
        "webhooks": webhooks.can_manage_webhooks(actor=viewer),
        "debug_outbox": settings.DEBUG and mail.can_read_debug_outbox(actor=viewer),
    }
