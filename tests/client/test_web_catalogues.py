"""The booth's message catalogues (client/web/i18n): same keys in both languages,
the same placeholders, and every key the pages and scripts use exists."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kiemphieu.server.elections import State

WEB = Path(__file__).resolve().parents[2] / "client" / "web"
LANGUAGES = ("vi", "en")
PLACEHOLDER = re.compile(r"\{([a-zA-Z0-9_]+)\}")
HTML_KEY = re.compile(r'data-i18n="([^"]+)"')
HTML_ATTR_KEYS = re.compile(r'data-i18n-attr="([^"]+)"')
# A message key in the scripts: a quoted, dotted name such as 'ballot.leaveBlank'.
JS_KEY = re.compile(r"""['"]([a-z][a-zA-Z]*(?:\.[a-zA-Z][a-zA-Z0-9-]*)+)['"]""")
NOT_KEYS = re.compile(r"\.(js|mjs|html|json|css)$")
# Keys built at run time from a closed set of values: the prefix and the values.
DYNAMIC = {
    "state.": [s.value for s in State],
    "code.error.": ["length", "alphabet", "check"],  # CredentialError.reason (js-api.md)
}
DYNAMIC_OPEN = ("check.",)  # verification check ids: shown by id when not in the catalogue


def catalogue(lang: str) -> dict[str, str]:
    return json.loads((WEB / "i18n" / f"{lang}.json").read_text("utf-8"))


def used_keys() -> set[str]:
    keys: set[str] = set()
    for page in WEB.glob("*.html"):
        html = page.read_text("utf-8")
        keys.update(HTML_KEY.findall(html))
        for spec in HTML_ATTR_KEYS.findall(html):
            keys.update(pair.split(":", 1)[1] for pair in spec.split(";") if pair)
    for script in (WEB / "js" / "app").glob("*.js"):
        text = script.read_text("utf-8")
        keys.update(k for k in JS_KEY.findall(text) if not NOT_KEYS.search(k))
        for prefix, values in DYNAMIC.items():
            if f"`{prefix}${{" in text:
                keys.update(prefix + v for v in values)
    return keys


def test_both_catalogues_have_the_same_keys():
    vi, en = (catalogue(lang) for lang in LANGUAGES)
    assert set(vi) == set(en), set(vi) ^ set(en)
    assert len(vi) > 100


@pytest.mark.parametrize("lang", LANGUAGES)
def test_messages_are_non_empty_text(lang):
    for key, text in catalogue(lang).items():
        assert isinstance(text, str), key
        assert text.strip(), key


def test_placeholders_match_across_languages():
    vi, en = (catalogue(lang) for lang in LANGUAGES)
    for key in vi:
        assert set(PLACEHOLDER.findall(vi[key])) == set(PLACEHOLDER.findall(en[key])), key


def test_every_key_used_exists():
    vi = catalogue("vi")
    used = used_keys()
    assert {"nav.booth", "ballot.leaveBlank", "state.open", "code.error.check"} <= used
    missing = sorted(k for k in used if k not in vi)
    assert not missing, missing


def test_every_key_is_used():
    used = used_keys()
    unused = sorted(k for k in catalogue("vi") if k not in used and not k.startswith(DYNAMIC_OPEN))
    assert not unused, unused


def test_pages_have_no_literal_text_outside_the_catalogue():
    """Elements are filled from the catalogues: a page's body holds no words of its own."""
    for page in WEB.glob("*.html"):
        html = page.read_text("utf-8")
        body = html.split("<body", 1)[1].split(">", 1)[1]
        text = re.sub(r"<[^>]+>", " ", body)
        words = [w for w in re.findall(r"[^\s—]+", text)]
        assert not words, (page.name, words[:10])
