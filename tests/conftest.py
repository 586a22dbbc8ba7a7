"""Fixtures shared across the test families."""

import re
import shutil
import subprocess

import pytest

from sklearn_notes._tour import _IMAGE_CHECK


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="session")
def images_loaded():
    """Open an HTML page in headless Chromium; return ``(images on the page, images that loaded)``.

    The page is copied beside itself (so that its relative links still resolve) with a script that
    counts, once the page has loaded, the ``<img>`` elements whose picture decoded; Chromium's DOM
    dump then carries the two counts. CI installs Debian's chromium (``.ci/run``); elsewhere the
    tests that need it are skipped with that reason.
    """
    browser = _chromium()
    if browser is None:
        pytest.skip("needs a headless Chromium (apt-get install chromium); CI installs it")

    def count(page):
        probe = page.with_name(f"_probe_{page.name}")
        html = page.read_text(encoding="utf-8")
        if "imagesLoaded" not in html:
            html = html.replace("</head>", f"{_IMAGE_CHECK}</head>", 1)
        probe.write_text(html, encoding="utf-8")
        try:
            dom = subprocess.run(
                [
                    browser,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--dump-dom",
                    probe.resolve().as_uri(),
                ],
                capture_output=True,
                text=True,
                timeout=120,
                check=True,
            ).stdout
        finally:
            probe.unlink()
        match = re.search(r'<body[^>]*data-images="(\d+)"[^>]*data-images-loaded="(\d+)"', dom)
        assert match, f"the page did not finish loading in Chromium: {dom[:500]}"
        return int(match.group(1)), int(match.group(2))

    return count
