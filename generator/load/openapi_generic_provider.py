"""Load stage: the provider a generic OpenAPI document describes -> SpecProvider.

Its name from the first server's host (``api.tunesmith.example`` -> ``tunesmith``), else from
``info.title``; the base URL from ``servers`` (Swagger: ``schemes``, ``host``, ``basePath``);
auth from the security scheme the document requires (bearer, basic, an API key in a header or
in the query). Read for :mod:`generator.load.openapi_generic`.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from musicbind.generator.load.located import pointer_child
from musicbind.generator.load.openapi_document import OpenApiDocument, as_mapping, as_text, show
from musicbind.generator.load.records import JsonValue, SpecProvider

_HOST_NOISE = frozenset({"api", "www", "app", "apis", "rest", "gateway", "public", "v1", "v2"})


def provider_facts(
    doc: OpenApiDocument, root: dict[str, JsonValue], swagger: bool, statuses: dict[str, str]
) -> SpecProvider:
    """The provider a generic document describes: name, base URL, auth and the job status
    words read from its operations (``statuses``: word -> JobState value)."""
    base_url = _base_url(doc, root, swagger)
    name = provider_name_from(root, base_url)
    info = as_mapping(root.get("info")) or {}
    title = (as_text(info.get("title")) or "").strip()
    auth, auth_name = _auth(doc, root, swagger)
    display = re.sub(r"\s+(?:API|Api|api)\s*$", "", title).strip() or (name or "")
    return SpecProvider(
        name=name or "",
        display_name=display[:60] or (name or ""),
        base_url=base_url,
        auth=auth,
        auth_name=auth_name,
        location=doc.locate("/info" if "info" in root else ""),
        statuses=tuple(sorted(statuses.items())),
    )


def _base_url(doc: OpenApiDocument, root: dict[str, JsonValue], swagger: bool) -> str:
    if swagger:
        host = as_text(root.get("host"))
        if not host:
            return ""
        schemes = [s for s in root.get("schemes") or [] if isinstance(s, str)]  # type: ignore[union-attr]
        scheme = "https" if "https" in schemes or not schemes else schemes[0]
        base_path = as_text(root.get("basePath")) or ""
        return f"{scheme}://{host}{base_path}".rstrip("/")
    servers = root.get("servers")
    for index, server in enumerate(servers if isinstance(servers, list) else []):
        mapping = as_mapping(server) or {}
        url = as_text(mapping.get("url"))
        if not url:
            continue
        variables = as_mapping(mapping.get("variables")) or {}
        for key, variable in variables.items():
            default = (as_mapping(variable) or {}).get("default")
            url = url.replace("{" + key + "}", str(default) if default is not None else "")
        if _scheme(url) in ("http", "https") and _hostname(url):
            return url.rstrip("/")
        doc.warning(
            pointer_child(pointer_child("/servers", index), "url"),
            f"server URL {show(url)} is not an absolute http(s) URL; not used as the base URL",
        )
    return ""


def _auth(
    doc: OpenApiDocument, root: dict[str, JsonValue], swagger: bool
) -> tuple[str, str | None]:
    if swagger:
        schemes = as_mapping(root.get("securityDefinitions")) or {}
        where = "/securityDefinitions"
    else:
        components = as_mapping(root.get("components")) or {}
        schemes = as_mapping(components.get("securitySchemes")) or {}
        where = "/components/securitySchemes"
    if not schemes:
        return "none", None
    wanted = [
        name
        for requirement in (root.get("security") or [])  # type: ignore[union-attr]
        if isinstance(requirement, dict)
        for name in requirement
    ]
    name = next((n for n in wanted if n in schemes), next(iter(schemes)))
    scheme = as_mapping(schemes[name]) or {}
    kind = (as_text(scheme.get("type")) or "").lower()
    if kind == "http":
        http = (as_text(scheme.get("scheme")) or "").lower()
        if http in ("bearer", "basic"):
            return http, None
    elif kind == "basic":
        return "basic", None
    elif kind == "apikey":
        place = (as_text(scheme.get("in")) or "").lower()
        key_name = as_text(scheme.get("name"))
        if place in ("header", "query") and key_name:
            return place, key_name
    elif kind in ("oauth2", "openidconnect"):
        return "bearer", None
    doc.warning(
        pointer_child(where, name),
        f"security scheme {show(name)} ({show(scheme.get('type'))}) is not one musicbind "
        "sends (bearer, basic, an API key in a header or the query); calls go without "
        "credentials unless the overlay names the provider's auth",
    )
    return "none", None


def provider_name_from(root: dict[str, JsonValue], base_url: str) -> str | None:
    """A provider name from the base URL's host, else from ``info.title``; None when neither."""
    host = _hostname(base_url)
    labels = [label for label in host.split(".") if label and not label.isdigit()]
    if len(labels) >= 2 and host not in ("localhost",):
        candidates = [label for label in labels[:-1] if label not in _HOST_NOISE]
        if candidates:
            return _slug(candidates[-1])
    title = as_text((as_mapping(root.get("info")) or {}).get("title")) or ""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", title) if w]
    words = [w for w in words if w.lower() not in {"api", "openapi", "swagger", "rest", "the"}]
    return _slug(words[0]) if words else None


def _hostname(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:  # not a valid URL (an unclosed IPv6 bracket)
        return ""


def _scheme(url: str) -> str:
    try:
        return urlsplit(url).scheme
    except ValueError:
        return ""


def _slug(text: str) -> str | None:
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    if not slug:
        return None
    return slug if slug[0].isalpha() else f"p_{slug}"
