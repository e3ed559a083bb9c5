"""Serving the browser booth (server/web.py): pages, headers, CSP, SRI, allow-list."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import posixpath
import re
from pathlib import Path

import pytest

from kiemphieu.crypto.primitives.paillier import KeyPolicy
from kiemphieu.server.app import create_app
from kiemphieu.server.web import WebRootError, load_site

from .conftest import make_config

WEB_ROOT = Path(__file__).resolve().parents[2] / "client" / "web"
PAGES = ["/", "/index.html", "/board.html", "/results.html", "/audit.html"]
IMPORTMAP = re.compile(r'<script type="importmap">(.*?)</script>', re.S)
POLICY_META = re.compile(r'<meta name="kiemphieu-key-policy" content="([a-z-]+)">')
TAG_REF = re.compile(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"[^>]*\bintegrity="([^"]+)"')


def sri(body: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode()


def client_for(root: Path, tmp_path: Path, policy: KeyPolicy | None = None):
    config = make_config(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path, web_root=root)
    if policy is not None:
        config = dataclasses.replace(config, key_policy=policy)
    app = create_app(config)
    return app.test_client()


@pytest.fixture
def web(tmp_path):
    return client_for(WEB_ROOT, tmp_path)


def csp_of(resp) -> dict[str, str]:
    policy = resp.headers["Content-Security-Policy"]
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] for d in policy.split("; ")}


@pytest.mark.parametrize("path", PAGES)
def test_page_served_with_policy(web, path):
    resp = web.get(path)
    assert resp.status_code == 200
    assert resp.content_type == "text/html; charset=utf-8"
    assert resp.headers["Cache-Control"] == "no-cache"
    csp = csp_of(resp)
    assert csp["default-src"] == "'self'"
    assert csp["worker-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["img-src"] == "'self' data: blob:"
    assert csp["connect-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["base-uri"] == "'none'"
    assert csp["form-action"] == "'self'"
    assert "unsafe-inline" not in resp.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in resp.headers["Content-Security-Policy"]
    assert "camera=(self)" in resp.headers["Permissions-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    # The only script source besides 'self' is the hash of this page's import map.
    html = resp.get_data(as_text=True)
    (imports,) = IMPORTMAP.findall(html)
    digest = base64.b64encode(hashlib.sha256(imports.encode()).digest()).decode()
    assert csp["script-src"] == f"'self' 'sha256-{digest}'"
    assert len(re.findall(r"<script\b", html)) == html.count('<script type="importmap">') + len(
        re.findall(r"<script\b[^>]*\bsrc=", html)
    )


@pytest.mark.parametrize("path", PAGES)
def test_every_integrity_matches_the_bytes_served(web, path):
    html = web.get(path).get_data(as_text=True)
    refs = TAG_REF.findall(html)
    assert any(url.startswith("/js/app/") for url, _ in refs)  # the page's own module
    assert any(url.startswith("/css/") for url, _ in refs)
    # Every local script or stylesheet carries integrity.
    local = re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="(/[^"]+)"', html)
    assert len(local) == len(refs)
    doc = json.loads(IMPORTMAP.findall(html)[0])
    checked = 0
    for url, integrity in [*refs, *doc["integrity"].items()]:
        resp = web.get(url)
        assert resp.status_code == 200, url
        assert integrity == sri(resp.data), url
        checked += 1
    # Every module's plain URL maps to a versioned URL that has an integrity entry,
    # and every module file served is in the map.
    assert set(doc["imports"].values()) == set(doc["integrity"])
    for plain, versioned in doc["imports"].items():
        assert versioned.startswith(plain + "?v=")
    modules = {
        "/" + p.relative_to(WEB_ROOT).as_posix()
        for top in ("js", "vendor")
        if (WEB_ROOT / top).is_dir()
        for p in (WEB_ROOT / top).rglob("*.js")
        if "node_modules" not in p.parts
    }
    assert modules and modules <= set(doc["imports"])
    assert checked >= len(modules)


@pytest.mark.parametrize("path", PAGES)
def test_pages_carry_the_server_key_policy(web, tmp_path, path):
    """The booth reads its key policy from a meta tag the server fills in from
    ServerConfig.key_policy (the test servers run TESTING); the tag sits before
    the import map, and the import map, its CSP hash and every integrity are
    those of any other policy: only the tag and the ETag differ."""
    testing = web.get(path)
    html = testing.get_data(as_text=True)
    assert POLICY_META.findall(html) == ["testing"]
    assert html.index('name="kiemphieu-key-policy"') < html.index('<script type="importmap">')
    for policy in (KeyPolicy.STANDARD, KeyPolicy.SHORT_LIVED):
        other = client_for(WEB_ROOT, tmp_path / policy.value, policy).get(path)
        other_html = other.get_data(as_text=True)
        assert POLICY_META.findall(other_html) == [policy.value]
        csp = "Content-Security-Policy"
        assert other.headers[csp] == testing.headers[csp]
        assert IMPORTMAP.findall(other_html) == IMPORTMAP.findall(html)
        assert TAG_REF.findall(other_html) == TAG_REF.findall(html)
        assert other_html.replace(policy.value, "testing", 1) == html
        assert other.headers["ETag"] != testing.headers["ETag"]


def test_a_standard_server_serves_standard_and_sri_still_holds(tmp_path):
    web = client_for(WEB_ROOT, tmp_path, KeyPolicy.STANDARD)
    html = web.get("/").get_data(as_text=True)
    assert POLICY_META.findall(html) == ["standard"]
    refs = TAG_REF.findall(html) + list(json.loads(IMPORTMAP.findall(html)[0])["integrity"].items())
    assert refs
    for url, integrity in refs:
        assert integrity == sri(web.get(url).data), url


def test_a_handwritten_key_policy_is_refused(tmp_path):
    root = make_root(tmp_path / "web")
    (root / "bad.html").write_text(
        '<!doctype html><head><meta name="kiemphieu-key-policy" content="testing">'
        "<!--importmap--></head>"
    )
    with pytest.raises(WebRootError, match="key policy"):
        load_site(root)


def test_integrity_follows_the_files(tmp_path):
    root = make_root(tmp_path / "web")
    first = client_for(root, tmp_path).get("/").get_data(as_text=True)
    (root / "js" / "app" / "main.js").write_text("export const changed = 2;\n")
    second = client_for(root, tmp_path).get("/").get_data(as_text=True)
    assert first != second
    new = sri(b"export const changed = 2;\n")
    assert new in second
    assert new not in first


def test_cache_headers_only_long_for_content_hashes(web):
    html = web.get("/").get_data(as_text=True)
    versioned = re.search(r'src="(/js/app/booth\.js\?v=([0-9a-f]+))"', html)
    assert versioned is not None
    resp = web.get(versioned.group(1))
    assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert resp.content_type == "text/javascript; charset=utf-8"
    plain = web.get("/js/app/booth.js")
    assert plain.headers["Cache-Control"] == "no-cache"
    assert plain.data == resp.data
    stale = web.get("/js/app/booth.js?v=0000000000000000")
    assert stale.headers["Cache-Control"] == "no-cache"
    etag = plain.headers["ETag"]
    again = web.get("/js/app/booth.js", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_catalogues_and_styles_served(web):
    vi = web.get("/i18n/vi.json")
    assert vi.status_code == 200
    assert vi.content_type == "application/json; charset=utf-8"
    assert "nav.booth" in vi.json
    css = web.get("/css/site.css")
    assert css.status_code == 200
    assert css.content_type == "text/css; charset=utf-8"


COMMENTS = re.compile(r"/\*.*?\*/|^[ \t]*//[^\n]*", re.S | re.M)
IMPORT = re.compile(r"""^(?:import|export)\b[\w\s{},*$]*?\bfrom\s+['"]([^'"]+)['"]""", re.M)
# Module workers the pages start with new Worker(url, {type: 'module'}): no import
# map applies inside them, so they and what they import are fetched by plain URL.
MODULE_WORKERS = ["/js/crypto/worker.js", "/js/crypto/keycheck-worker.js", "/js/results/worker.js"]


@pytest.mark.parametrize("worker", MODULE_WORKERS)
def test_module_workers_and_their_imports_served(web, worker):
    seen, todo = set(), [worker]
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        resp = web.get(url)
        assert resp.status_code == 200, url
        assert resp.content_type == "text/javascript; charset=utf-8", url
        for spec in IMPORT.findall(COMMENTS.sub("", resp.get_data(as_text=True))):
            assert spec.startswith(("./", "../")), f"{url} imports {spec}: not a relative URL"
            todo.append(posixpath.normpath(posixpath.join(posixpath.dirname(url), spec)))
    assert len(seen) > 2  # the worker and the modules it needs


@pytest.mark.parametrize(
    "path",
    [
        "/package.json",
        "/package-lock.json",
        "/README.md",
        "/node_modules/x/index.js",
        "/js/node_modules/x/index.js",
        "/js/.hidden.js",
        "/js/notes.txt",
        "/css/site.js",
        "/vendor/lib/LICENSE",
        "/js/app/link.js",
        "/js/../secret.js",
        "/js/%2e%2e/secret.js",
        "/js/app/..%2f..%2fsecret.js",
        "/secret.js",
        "/nope.html",
        "/INDEX.html",
        "/tests/x.js",
    ],
)
def test_only_public_files_are_served(tmp_path, path):
    root = make_root(tmp_path / "web")
    web = client_for(root, tmp_path)
    assert web.get("/js/app/main.js").status_code == 200  # the control: a public file
    resp = web.get(path)
    assert resp.status_code == 404, path
    assert b"do not serve" not in resp.data


def test_api_still_answers_beside_the_pages(web):
    resp = web.get("/api/elections")
    assert resp.status_code == 200
    assert resp.json == {"elections": []}
    assert web.get("/api/nope").status_code == 404


def test_no_web_root_serves_api_only(tmp_path):
    config = make_config(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path)
    client = create_app(config).test_client()
    assert client.get("/").status_code == 404
    assert client.get("/api/elections").status_code == 200


def test_broken_pages_refuse_to_start(tmp_path):
    root = make_root(tmp_path / "inline")
    (root / "bad.html").write_text(
        "<!doctype html><head><!--importmap--><script>alert(1)</script></head>"
    )
    with pytest.raises(WebRootError, match="inline"):
        load_site(root)
    root = make_root(tmp_path / "missing")
    (root / "bad.html").write_text(
        '<!doctype html><head><!--importmap--><script type="module" src="/js/gone.js"></script>'
    )
    with pytest.raises(WebRootError, match=r"gone\.js"):
        load_site(root)
    root = make_root(tmp_path / "nomap")
    (root / "bad.html").write_text("<!doctype html><head></head>")
    with pytest.raises(WebRootError, match="importmap"):
        load_site(root)
    with pytest.raises(WebRootError, match=r"index\.html"):
        load_site(tmp_path / "empty")


def make_root(root: Path) -> Path:
    """A small web folder with public files and files that must never be served."""
    (root / "js" / "app").mkdir(parents=True)
    (root / "css").mkdir()
    (root / "vendor" / "lib").mkdir(parents=True)
    (root / "node_modules" / "x").mkdir(parents=True)
    (root / "js" / "node_modules" / "x").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "index.html").write_text(
        "<!doctype html><html><head><!--importmap-->"
        '<link rel="stylesheet" href="/css/site.css">'
        '<script type="module" src="/js/app/main.js"></script></head><body></body></html>'
    )
    (root / "js" / "app" / "main.js").write_text("export const changed = 1;\n")
    (root / "css" / "site.css").write_text("body { color: black; }\n")
    (root / "vendor" / "lib" / "lib.js").write_text("export default 1;\n")
    secret = "// do not serve\n"
    (root / "package.json").write_text('{"do not serve": 1}')
    (root / "package-lock.json").write_text('{"do not serve": 1}')
    (root / "README.md").write_text(secret)
    (root / "secret.js").write_text(secret)
    (root / "node_modules" / "x" / "index.js").write_text(secret)
    (root / "js" / "node_modules" / "x" / "index.js").write_text(secret)
    (root / "js" / ".hidden.js").write_text(secret)
    (root / "js" / "notes.txt").write_text(secret)
    (root / "css" / "site.js").write_text(secret)
    (root / "vendor" / "lib" / "LICENSE").write_text(secret)
    (root / "tests" / "x.js").write_text(secret)
    (root / "js" / "app" / "link.js").symlink_to(root / "secret.js")
    return root


def test_serve_finds_the_web_root(tmp_path):
    import argparse

    from kiemphieu.server import serve

    parser = argparse.ArgumentParser()
    serve.add_arguments(parser)
    installed = serve.installed_web_root()
    assert installed is not None
    assert (installed / "index.html").is_file()
    default = serve.config_from(parser.parse_args(["--data", str(tmp_path)]))
    assert default.web_root == installed
    chosen = serve.config_from(parser.parse_args(["--data", str(tmp_path), "--web-root", "x"]))
    assert chosen.web_root == Path("x")
    off = serve.config_from(parser.parse_args(["--data", str(tmp_path), "--no-web"]))
    assert off.web_root is None
