"""The site-wide limit on what a request may carry, checked before anything reads its body.

Django reads a form's whole body (spooling its files to disk) as soon as anyone looks at
``request.POST``, and the CSRF check looks on every POST, so without this a stranger could make
any URL, the sign-in page included, receive gigabytes before being refused. This middleware
comes first: a request whose declared length is past the largest one the site accepts
(``knowflow.library.uploads.max_request_bytes``) is answered 413 from its headers alone. A body
without a declared length is cut by the site-wide first upload handler
(``FILE_UPLOAD_HANDLERS``) at the largest file the site accepts.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.html import format_html

from knowflow.library.uploads import request_length_refusal

# A page of its own: the middlewares that the site's templates rely on (session, user, time
# zone) have not run yet, by design.
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><main><h1>{title}</h1><p>{message}</p><p><a href="/">Knowflow home</a></p>
</main></body></html>
"""


def _refuses_on_its_form(request: HttpRequest) -> bool:
    """An upload page makes the same check from the headers itself and shows the reason on its
    form, keeping the page around it; nothing between here and that view reads the body."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return bool(getattr(match.func, "limits_upload_size", False))


class RequestBodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = request_length_refusal(request)
        if refusal is None or _refuses_on_its_form(request):
            return self.get_response(request)
        if request.path.startswith("/api/"):
            response: HttpResponse = JsonResponse(
                {"detail": refusal.message, "field": refusal.field}, status=refusal.status_code
            )
        else:
            title = "Too large" if refusal.status_code == 413 else "Not understood"
            response = HttpResponse(
                format_html(_PAGE, title=title, message=refusal.message),
                status=refusal.status_code,
            )
        # The middlewares that add these to every other answer come after this one.
        response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
        response["X-Content-Type-Options"] = "nosniff"
        response["X-Frame-Options"] = "DENY"
        return response
