"""Reports as HTML and text: escaped tables, code and diffs in `<pre>`, notes with code."""

from __future__ import annotations

from html import escape

from mlwork_jupyter.display.report import Code, Report, Table

EVIL = "<img src=x onerror=alert(1)>"


def test_code_keeps_its_line_breaks_and_is_escaped():
    report = Report([Code("code", f"a = 1\n\nb = '{EVIL}'")])
    html = report.html()
    assert f">a = 1\n\nb = &#x27;{escape(EVIL)}&#x27;</pre>" in html
    assert "<img" not in html
    assert html.count("<pre class='mlwork-code'") == 1
    assert report.text() == f"code\na = 1\n\nb = '{EVIL}'"


def test_diff_lines_are_tinted_by_kind_and_escaped():
    body = f"--- A\n+++ B\n@@ -1 +1 @@\n-{EVIL}\n+ok\n same"
    html = Code("code", body, diff=True).html()
    assert "<span class='mlwork-diff-file' style='display:block;font-weight:bold'>--- A\n" in html
    assert "<span class='mlwork-diff-hunk'" in html
    assert "<span class='mlwork-diff-del' style='display:block;background:rgba(248,81,73" in html
    assert "-&lt;img src=x onerror=alert(1)&gt;\n</span>" in html
    assert "<span class='mlwork-diff-add' style='display:block;background:rgba(46,160,67" in html
    assert "<span style='display:block'> same\n</span>" in html
    assert "<img" not in html


def test_empty_sections_are_left_out_and_notes_mark_code():
    report = Report(
        [Table("empty", ["a"]), Code("code", ""), Table("t", ["a"], [[EVIL]])],
        [f"run `%mlwork show {EVIL}` or `last`"],
    )
    html = report.html()
    assert "empty" not in html
    assert "<pre" not in html
    assert "<code>%mlwork show &lt;img src=x onerror=alert(1)&gt;</code>" in html
    assert "`" not in html
    assert report.text() == f"t\na\n{'-' * len(EVIL)}\n{EVIL}\n\nrun %mlwork show {EVIL} or last"


def test_table_css_by_column_row_and_cell():
    table = Table(
        "",
        ["when", "status"],
        [["12-01 14:03", "error: x"], ["12-01 14:04", "ok"]],
        column_css=["white-space:nowrap"],
        cell_css={(0, 1): "background:rgba(248,81,73,0.22)"},
        row_css=["", "opacity:0.8"],
    )
    html = table.html()
    assert '<td style="text-align:left;vertical-align:top;white-space:nowrap">12-01 14:03' in html
    assert 'vertical-align:top;background:rgba(248,81,73,0.22)">error: x</td>' in html
    assert '<tr style="opacity:0.8">' in html
