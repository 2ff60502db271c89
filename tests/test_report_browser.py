"""The reports in a real headless browser (Debian's chromium, driven over the DevTools
protocol), and the edge patients' reports: one region without plasma, and no mutations.

Screenshots and a printed PDF are written to test-artefacts/ in the project for a person to look at."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from browser import Browser, ensure_chromium
from ith.report.patient import fmt

ARTEFACTS = Path(__file__).resolve().parents[1] / "test-artefacts"


@pytest.fixture(scope="module")
def browser():
    binary, why = ensure_chromium()
    if binary is None:
        pytest.skip(f"no headless browser: {why}")
    with Browser(binary) as b:
        yield b


def _reports(workflow_run: Path, edge_run: Path) -> dict[str, Path]:
    out = {p: Path(workflow_run) / "results" / "report" / p / "report.html" for p in ("P1", "P2")}
    out |= {p: Path(edge_run) / "results" / "report" / p / "report.html" for p in ("ONE", "NOMUT")}
    return out


def _metrics(report: Path) -> dict:
    return json.loads((report.parent / "metrics.json").read_text())


@pytest.mark.workflow
def test_edge_patients_get_the_sections_that_apply_and_say_what_is_missing(edge_run):
    base = Path(edge_run) / "results" / "report"
    one, nomut = _metrics(base / "ONE" / "report.html"), _metrics(base / "NOMUT" / "report.html")
    assert one["heterogeneity"]["regions"] == 1 and one["plasma"] == {}
    assert one["heterogeneity"]["mutations"] > 50 and one["clones"]["clones_in_tree"] >= 1
    assert any("One region only" in x for x in one["limitations"])
    html = (base / "ONE" / "report.html").read_text()
    for text in ("No plasma samples for this patient", "One region only: sharing between regions cannot be shown",
                 "No x/y coordinates", "fewer than two regions: no pairwise divergence"):
        assert text in html, text
    assert not (base / "ONE" / "figures" / "upset.png").exists()
    assert (base / "ONE" / "figures" / "ccf_heatmap.png").exists()
    assert not (base / "ONE" / "figures" / "sharing.png").exists()

    assert nomut["heterogeneity"]["mutations"] == 0 and nomut["clones"]["clones_in_tree"] == 0
    assert any("No somatic mutations" in x for x in nomut["limitations"])
    html = (base / "NOMUT" / "report.html").read_text()
    for text in ("No somatic mutations were found in this patient", "no clusters (no mutations to cluster)",
                 "no clone tree"):
        assert text in html, text
    cohort = (base / "cohort.tsv").read_text().splitlines()
    assert [line.split("\t")[0] for line in cohort[1:]] == ["NOMUT", "ONE"]


@pytest.mark.workflow
def test_reports_render_in_a_headless_browser(browser, workflow_run, edge_run):
    ARTEFACTS.mkdir(exist_ok=True)
    for name, report in _reports(workflow_run, edge_run).items():
        browser.open(report)
        assert browser.errors() == [], (name, browser.errors())
        images = browser.evaluate("Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth])")
        assert len(images) == report.read_text().count("<img "), name
        assert images, name
        broken = [alt for alt, done, width in images if not done or width == 0]
        assert broken == [], (name, broken)
        # every number in the metrics table is the one in metrics.json
        rows = browser.evaluate("Array.from(document.querySelectorAll('#metrics table')[0].tBodies[0].rows)"
                                ".map(r => [r.cells[0].textContent, r.cells[1].textContent])")
        h = _metrics(report)["heterogeneity"]
        shown = {k: v for k, v in rows if k in h and not isinstance(h[k], dict)}
        assert shown and all(v == fmt(h[k]) for k, v in shown.items()), (name, shown)
        shot = ARTEFACTS / f"report_{name}.png"
        browser.screenshot(shot)
        assert shot.stat().st_size > 20_000
    # plasma figures load in the patient with plasma
    browser.open(_reports(workflow_run, edge_run)["P1"])
    assert browser.evaluate("document.querySelectorAll('#plasma img').length") >= 3
    pdf = ARTEFACTS / "report_P1.pdf"
    browser.pdf(pdf)
    assert pdf.read_bytes()[:4] == b"%PDF" and pdf.stat().st_size > 50_000


@pytest.mark.workflow
def test_cohort_page_sorts_and_links_to_the_patients(browser, workflow_run):
    page = Path(workflow_run) / "results" / "report" / "cohort.html"
    browser.open(page)
    assert browser.errors() == []
    assert all(done and w > 0 for done, w in browser.evaluate(
        "Array.from(document.images).map(i => [i.complete, i.naturalWidth])"))
    links = browser.evaluate("Array.from(document.querySelectorAll('#cohort-table a')).map(a => a.getAttribute('href'))")
    assert links == ["P1/report.html", "P2/report.html"]
    assert all((page.parent / link).exists() for link in links)
    col = browser.evaluate("Array.from(document.querySelectorAll('#cohort-table th')).findIndex(h => h.textContent == 'mutations')")
    cells = "Array.from(document.querySelectorAll('#cohort-table tbody tr')).map(r => Number(r.cells[%d].textContent))" % col
    browser.evaluate(f"document.querySelectorAll('#cohort-table th')[{col}].click()")
    up = browser.evaluate(cells)
    browser.evaluate(f"document.querySelectorAll('#cohort-table th')[{col}].click()")
    down = browser.evaluate(cells)
    assert up == sorted(up) and down == sorted(up, reverse=True) and up != down
    browser.screenshot(ARTEFACTS / "cohort.png")
    assert re.search(r"\d+ patient", browser.evaluate("document.querySelector('header').textContent"))
