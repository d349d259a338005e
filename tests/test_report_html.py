"""The HTML report: one self-contained page, every input text escaped, filters that work in a browser."""

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from .conftest import SEED_FILES


class _Page(HTMLParser):
    """The elements and text of a page, as a browser's parser sees them."""

    def __init__(self):
        super().__init__()
        self.tags = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _parse(text):
    page = _Page()
    page.feed(text)
    return page


@pytest.fixture(scope="module")
def seeds_report(tmp_path_factory):
    """The five seeds merged, with the HTML and the JSON report of the same run."""
    from .conftest import run_cli

    folder = tmp_path_factory.mktemp("html")
    proc = run_cli(*SEED_FILES, "-o", folder / "merged.md", "--report", folder / "merged.html",
                   "--report", folder / "merged.json")
    assert proc.returncode == 0, proc.stderr
    return folder


def test_one_file_that_fetches_nothing(seeds_report):
    text = (seeds_report / "merged.html").read_text()
    page = _parse(text)
    assert not [t for t, a in page.tags if t == "link" or (t in ("script", "img", "iframe") and "src" in a)]
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?(?:https?:)?//", text)
    assert "@import" not in text and "url(" not in text
    csp = [a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and csp[0].startswith("default-src 'none'")


def test_every_conflict_side_by_side_with_the_kept_side_marked(seeds_report):
    data = json.loads((seeds_report / "merged.json").read_text())
    page = _parse((seeds_report / "merged.html").read_text())
    rows = [a for t, a in page.tags if t == "article" and "conflict" in a.get("class", "")]
    assert [r["id"] for r in rows] == [c["id"] for c in data["conflicts"]]
    assert [(r["data-kind"], r["data-severity"]) for r in rows] == [(c["kind"], c["severity"]) for c in data["conflicts"]]
    sides = [a for t, a in page.tags if t == "section" and "side" in a.get("class", "").split()]
    assert len(sides) == sum(len(c["sides"]) for c in data["conflicts"])
    kept = sum(len(c["in_output"]) for c in data["conflicts"])
    assert sum("kept" in s["class"].split() for s in sides) == kept
    text = "".join(page.text)
    first = data["conflicts"][0]["sides"][0]
    assert f"{first['path']}:{first['line']}" in text  # each side's file:line
    boxes = [a for t, a in page.tags if t == "input" and a.get("type") == "checkbox"]
    assert {b["name"] for b in boxes} == {"kind", "severity"}
    assert {b["value"] for b in boxes if b["name"] == "kind"} == {c["kind"] for c in data["conflicts"]}
    # shared groups and unique guidance are there, folded away
    details = [a.get("id") for t, a in page.tags if t == "details"]
    assert "shared" in details and "unique" in details
    assert sum(1 for t, a in page.tags if t == "details" and a.get("class") == "group") == len(data["shared"])


HOSTILE = "<script>alert('unit')</script> and \"><img src=x onerror=alert(1)> & </pre></details>"


def _hostile_inputs(tmp_path):
    a = tmp_path / "a.md"
    a.write_text("---\nname: <b>bold</b>\nmodel: opus\n---\n\n# Rules\n\n- Always use soft deletes\n"
                 f"- {HOSTILE}\n")
    b = tmp_path / "b.md"
    b.write_text("---\nname: plain\nmodel: sonnet\n---\n\n# Rules\n\n- Never use soft deletes\n"
                 "- <!-- a comment --> <style>body{display:none}</style>\n")
    return a, b


def test_input_text_is_shown_as_text_never_as_markup(cli, tmp_path):
    a, b = _hostile_inputs(tmp_path)
    proc = cli(a, b, "-o", tmp_path / "m.md", "--report", tmp_path / "r.html")
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "r.html").read_text()
    page = _parse(text)
    assert [t for t, _ in page.tags].count("script") == 1  # the filter script, nothing from the inputs
    assert [t for t, _ in page.tags].count("style") == 1
    assert not [t for t, _ in page.tags if t in ("img", "b")]
    shown = "".join(page.text)
    assert HOSTILE in shown  # the very characters, as text
    assert "<b>bold</b>" in shown
    assert "&lt;script&gt;alert(&#39;unit&#39;)&lt;/script&gt;" in text


def _chromium():
    return next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)


def _run_chromium(tmp_path, url, *mode, size="1280,2000"):
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    profile.mkdir()
    args = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", f"--window-size={size}", *mode, url]
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.skip("chromium did not finish within 120 s")
    if proc.returncode != 0:
        pytest.skip(f"chromium failed to run (exit {proc.returncode}): {proc.stderr.strip()[-200:]}")
    return proc.stdout


@pytest.mark.skipif(_chromium() is None, reason="chromium is not installed (.ci/run installs it when it can)")
def test_the_page_in_headless_chromium(seeds_report, tmp_path):
    """What a browser shows after the script ran: the filters, every conflict, and a filtered view."""
    data = json.loads((seeds_report / "merged.json").read_text())
    url = (seeds_report / "merged.html").as_uri()
    dom = _run_chromium(tmp_path, url, "--dump-dom")
    page = _parse(dom)
    body = next(a for t, a in page.tags if t == "body")
    assert body.get("data-filters") == "ready"  # the script ran (the page's CSP allowed it)
    assert body.get("data-shown") == str(len(data["conflicts"]))
    assert f"{len(data['conflicts'])} conflict(s)" in "".join(page.text)
    rows = [a for t, a in page.tags if t == "article"]
    assert len(rows) == len(data["conflicts"]) and not any("hidden" in r for r in rows)
    # the filter state in the address: only high-severity policy conflicts stay visible
    want = [c["id"] for c in data["conflicts"] if c["kind"] == "policy" and c["severity"] == "high"]
    assert want, "the seeds have a high-severity policy conflict"
    page = _parse(_run_chromium(tmp_path, url + "#kind=policy&severity=high", "--dump-dom"))
    visible = [a["id"] for t, a in page.tags if t == "article" and "hidden" not in a]
    assert visible == want
    assert f"showing {len(want)} of {len(data['conflicts'])} conflict(s)" in "".join(page.text)
    shot = tmp_path / "report.png"
    _run_chromium(tmp_path, url, f"--screenshot={shot}", size="1280,1600")
    assert shot.exists() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


@pytest.mark.skipif(_chromium() is None, reason="chromium is not installed (.ci/run installs it when it can)")
def test_hostile_text_runs_nothing_in_chromium(cli, tmp_path):
    a, b = _hostile_inputs(tmp_path)
    proc = cli(a, b, "-o", tmp_path / "m.md", "--report", tmp_path / "r.html")
    assert proc.returncode == 0, proc.stderr
    page = _parse(_run_chromium(tmp_path, (tmp_path / "r.html").as_uri(), "--dump-dom"))
    assert [t for t, _ in page.tags].count("script") == 1
    assert not [t for t, _ in page.tags if t == "img"]
    assert HOSTILE in "".join(page.text)


def test_a_report_without_conflicts_has_no_filters(cli, tmp_path):
    (tmp_path / "a.md").write_text("# Rules\n\n- Add an index for every foreign key\n")
    (tmp_path / "b.md").write_text("# Rules\n\n- Write a test for every migration\n")
    proc = cli(tmp_path / "a.md", tmp_path / "b.md", "-o", tmp_path / "m.md", "--report", tmp_path / "r.html")
    assert proc.returncode == 0, proc.stderr
    page = _parse((tmp_path / "r.html").read_text())
    assert not [a for t, a in page.tags if t in ("article", "form")]
    assert "None found." in "".join(page.text)
    assert "Add an index for every foreign key" in "".join(page.text)


@pytest.fixture(scope="module")
def small_report_data(tmp_path_factory):
    from agentmerge import merge_files
    from agentmerge.report import to_json

    a, b = _hostile_inputs(tmp_path_factory.mktemp("small"))
    data = to_json(merge_files([str(a), str(b)]))
    assert data["conflicts"] and data["unique"]
    return data


def test_any_text_anywhere_is_shown_as_that_text(small_report_data):
    """Whatever the inputs say (in a side, a message, a path, a stance), the page shows those characters
    and no markup of theirs."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from agentmerge.report_html import html

    pieces = st.sampled_from([*"<>&\"'/=ab !-\n`", "script", "</pre>", "-->", "<!--", "&amp;", "<img src=x>"])
    text = st.lists(pieces, min_size=1, max_size=14).map("".join).filter(lambda t: t.strip())

    @settings(max_examples=40, deadline=None)
    @given(text, text, text)
    def check(side_text, message, stance):
        data = json.loads(json.dumps(small_report_data))
        conflict = data["conflicts"][0]
        conflict["sides"][0]["text"] = side_text
        conflict["sides"][0]["stance"] = stance
        conflict["message"] = message
        data["unique"][0]["path"] = message
        page = _parse(html(data))
        assert [t for t, _ in page.tags].count("script") == 1
        assert {t for t, _ in page.tags} <= {"html", "head", "meta", "title", "style", "body", "header", "h1",
                                             "h2", "h3", "p", "code", "table", "tr", "th", "td", "ul", "li",
                                             "form", "fieldset", "legend", "label", "input", "span", "article",
                                             "div", "section", "pre", "details", "summary", "strong", "script"}
        shown = "".join(page.text)
        assert side_text in shown
        # backticked parts of a message or a stance become code: the same characters less the backticks
        for value in (message, stance):
            assert (value.replace("`", "") if value.count("`") % 2 == 0 else value) in shown

    check()
