"""The browser booth's pages and files, served from a folder named in the
configuration (``ServerConfig.web_root``; docs/api.md "Pages").

The server never imports the client: it is handed a folder and serves only an
allow-list of it. Everything is read once, at start-up, into a :class:`WebSite`:

* **pages**: ``*.html`` at the top of the folder. Each page's local ``<script
  src>`` and ``<link href>`` get the file's content-hashed URL and its SHA-384
  ``integrity``; the page's ``<!--importmap-->`` marker becomes an import map
  sending every ES module's plain URL to its content-hashed URL with an
  ``integrity`` entry for each, so every module a page imports, directly or
  not, is checked by the browser however the modules change. The import map is
  the page's only inline script; the Content-Security-Policy allows it by its
  SHA-256 and nothing else inline.
* **files**: only the extensions allowed for each top folder (``css``, ``i18n``,
  ``img``, ``js``, ``vendor``); hidden paths, ``node_modules``, symbolic links
  and everything else are never served. A request is a dictionary look-up of the
  exact path, so ``..`` and other tricks find nothing.
* **key policy**: each page is rendered once per :class:`KeyPolicy`, with
  ``<meta name="kiemphieu-key-policy" content="standard|short-lived|testing">``
  just before its import map; a request gets the rendering of the app's
  ``ServerConfig.key_policy``. The booth checks the election's key sizes under
  that policy (and warns in red under ``testing``). The tag is not a script, so
  the import map, its CSP hash and every ``integrity`` are the same for all.

A file fetched at its content-hashed URL (``?v=<hash>``) is cached for a year;
any other response must be revalidated (``no-cache`` with an ETag).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from flask import Blueprint, Response, request

from kiemphieu.crypto.primitives.paillier import KeyPolicy

from .errors import not_found
from .services import services

ALLOWED: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "css": frozenset({".css"}),
        "i18n": frozenset({".json"}),
        "img": frozenset({".svg", ".png", ".ico"}),
        "js": frozenset({".js", ".mjs"}),
        "vendor": frozenset({".js", ".mjs"}),
    }
)
CONTENT_TYPES: Mapping[str, str] = MappingProxyType(
    {
        ".css": "text/css; charset=utf-8",
        ".html": "text/html; charset=utf-8",
        ".ico": "image/x-icon",
        ".js": "text/javascript; charset=utf-8",
        ".json": "application/json; charset=utf-8",
        ".mjs": "text/javascript; charset=utf-8",
        ".png": "image/png",
        ".svg": "image/svg+xml",
    }
)
MODULE_SUFFIXES = frozenset({".js", ".mjs"})
PAGE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,31}\.html$")
IMPORTMAP_MARKER = "<!--importmap-->"
POLICY_META = '<meta name="kiemphieu-key-policy" content="{policy}">'
POLICY_META_NAME = "kiemphieu-key-policy"
LOCAL_REF = re.compile(r'<(script|link)\b([^>]*?)\b(src|href)="(/[^"?#]+)"([^>]*)>')
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>")
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

PAGE_POLICY = (
    "default-src 'self'; script-src 'self' {importmap}; worker-src 'self'; "
    "style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)
PERMISSIONS = "camera=(self), microphone=(), geolocation=(), payment=(), usb=()"


class WebRootError(Exception):
    """The web folder cannot be served as it is (a missing file, an inline script)."""


@dataclass(frozen=True, slots=True)
class Asset:
    """One public file: its bytes, type, SRI value (``sha384-…``) and version tag."""

    url: str
    body: bytes
    content_type: str
    integrity: str
    version: str

    @property
    def versioned_url(self) -> str:
        return f"{self.url}?v={self.version}"


@dataclass(frozen=True, slots=True)
class Page:
    """A page as served under one key policy: its HTML with hashes and the
    policy's meta tag filled in, and its CSP."""

    url: str
    body: bytes
    policy: str
    etag: str


@dataclass(frozen=True, slots=True)
class WebSite:
    """Every page and file that may be served, read once from the web folder:
    each page (by URL) rendered for every key policy."""

    pages: Mapping[str, Mapping[KeyPolicy, Page]]
    assets: Mapping[str, Asset]

    def page(self, url: str, policy: KeyPolicy) -> Page | None:
        """The page at ``url`` as served under ``policy``, or None."""
        found = self.pages.get(url)
        return None if found is None else found[policy]


def _sri(body: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode("ascii")


def _public(root: Path, path: Path) -> bool:
    rel = path.relative_to(root).parts
    if any(part.startswith(".") or part == "node_modules" for part in rel):
        return False
    if path.is_symlink() or not path.is_file():
        return False
    return path.suffix in ALLOWED.get(rel[0], frozenset())


def _read_assets(root: Path) -> dict[str, Asset]:
    assets: dict[str, Asset] = {}
    for folder in sorted(ALLOWED):
        top = root / folder
        if not top.is_dir() or top.is_symlink():
            continue
        for path in sorted(top.rglob("*")):
            if not _public(root, path):
                continue
            body = path.read_bytes()
            url = "/" + path.relative_to(root).as_posix()
            assets[url] = Asset(
                url=url,
                body=body,
                content_type=CONTENT_TYPES[path.suffix],
                integrity=_sri(body),
                version=hashlib.sha256(body).hexdigest()[:16],
            )
    return assets


def import_map(assets: Mapping[str, Asset]) -> str:
    """The import map: each module's plain URL to its versioned URL, and the
    versioned URL's integrity (the key the browser looks up after mapping)."""
    modules = [a for a in assets.values() if Path(a.url).suffix in MODULE_SUFFIXES]
    doc = {
        "imports": {a.url: a.versioned_url for a in modules},
        "integrity": {a.versioned_url: a.integrity for a in modules},
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


def _render(
    name: str, html: str, assets: Mapping[str, Asset], imports: str, key_policy: KeyPolicy
) -> Page:
    if html.count(IMPORTMAP_MARKER) != 1:
        raise WebRootError(f"{name}: needs exactly one {IMPORTMAP_MARKER} marker")
    if INLINE_SCRIPT.search(html):
        raise WebRootError(f"{name}: inline scripts are not allowed")
    if "integrity=" in html:
        raise WebRootError(f"{name}: integrity is filled in by the server, not written by hand")
    if POLICY_META_NAME in html:
        raise WebRootError(f"{name}: the key policy is filled in by the server, not by hand")

    def attach(m: re.Match[str]) -> str:
        tag, before, attr, url, after = m.groups()
        asset = assets.get(url)
        if asset is None:
            raise WebRootError(f"{name}: {url} is not a public file of the web folder")
        return f'<{tag}{before}{attr}="{asset.versioned_url}" integrity="{asset.integrity}"{after}>'

    html = LOCAL_REF.sub(attach, html)
    meta = POLICY_META.format(policy=key_policy.value)
    script = f'<script type="importmap">{imports}</script>'
    html = html.replace(IMPORTMAP_MARKER, meta + script)
    digest = base64.b64encode(hashlib.sha256(imports.encode("utf-8")).digest()).decode("ascii")
    body = html.encode("utf-8")
    return Page(
        url="/" + name,
        body=body,
        policy=PAGE_POLICY.format(importmap=f"'sha256-{digest}'"),
        etag=hashlib.sha256(body).hexdigest()[:32],
    )


def load_site(root: Path) -> WebSite:
    """Read the web folder: every allowed file and every page, rendered for
    each key policy (WebRootError if a page refers to a file that is not
    served, or holds an inline script)."""
    root = root.resolve()
    if not (root / "index.html").is_file():
        raise WebRootError(f"{root}: no index.html")
    assets = _read_assets(root)
    imports = import_map(assets)
    pages: dict[str, Mapping[KeyPolicy, Page]] = {}
    for path in sorted(root.glob("*.html")):
        if PAGE_NAME.fullmatch(path.name) and not path.is_symlink():
            html = path.read_text("utf-8")
            pages["/" + path.name] = MappingProxyType(
                {p: _render(path.name, html, assets, imports, p) for p in KeyPolicy}
            )
    pages["/"] = pages["/index.html"]
    return WebSite(MappingProxyType(pages), MappingProxyType(assets))


def _page_response(page: Page) -> Response:
    resp = Response(page.body, content_type=CONTENT_TYPES[".html"])
    resp.headers["Content-Security-Policy"] = page.policy
    resp.headers["Permissions-Policy"] = PERMISSIONS
    resp.headers["Cache-Control"] = REVALIDATE
    resp.set_etag(page.etag)
    resp.make_conditional(request)  # 304 in place when the ETag matches
    return resp


def _asset_response(asset: Asset) -> Response:
    resp = Response(asset.body, content_type=asset.content_type)
    versioned = request.args.get("v") == asset.version
    resp.headers["Cache-Control"] = IMMUTABLE if versioned else REVALIDATE
    resp.set_etag(asset.version)
    resp.make_conditional(request)
    return resp


def blueprint(site: WebSite) -> Blueprint:
    """The routes serving ``site``: ``/``, ``/<page>.html`` (rendered for the
    app's ``ServerConfig.key_policy``) and the allowed folders."""
    bp = Blueprint("web", __name__)

    def serve(url: str) -> Response:
        found = site.page(url, services().config.key_policy)
        if found is None:
            raise not_found("page")
        return _page_response(found)

    @bp.get("/")
    def index() -> Response:
        return serve("/")

    @bp.get("/<name>")
    def page(name: str) -> Response:
        return serve("/" + name)

    def asset(folder: str, rest: str) -> Response:
        found = site.assets.get(f"/{folder}/{rest}")
        if found is None:
            raise not_found("file")
        return _asset_response(found)

    for folder in ALLOWED:
        bp.add_url_rule(
            f"/{folder}/<path:rest>",
            endpoint=f"asset_{folder}",
            view_func=lambda rest, folder=folder: asset(folder, rest),
            methods=["GET"],
        )
    return bp
