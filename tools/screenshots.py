"""Screenshots of every dashboard page at 390 px (a phone) and 1400 px, for anyone to look at.

Starts the same live server with the same history as the responsive e2e test
(``tests/e2e/site.py``), signs in as an admin in headless Chromium and writes one full-page PNG
per page and width, ``<page>-<width>.png``, plus ``menu-open-390.png`` (the phone's menu
opened). Prints one JSON line: the folder, the files written, and any page wider than its window.

    uv run --frozen python tools/screenshots.py [--out screenshots] [--chromium /usr/bin/chromium]
        [--page overview ...]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository, for tests.e2e

from tests.e2e.site import ARGS, CHROMIUM, PAGES, WIDTHS, live_site


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("screenshots"), help="folder to write")
    parser.add_argument("--chromium", default=CHROMIUM, help="the Chromium executable")
    parser.add_argument(
        "--page", action="append", default=[], help="only this page (by name; repeatable)"
    )
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    written: list[str] = []
    overflowing: list[str] = []
    with (
        tempfile.TemporaryDirectory() as directory,
        live_site(Path(directory)) as site,
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=args.chromium, args=ARGS)
        try:
            for width in WIDTHS:
                signed_in = browser.new_context(viewport={"width": width, "height": 900})
                signed_out = browser.new_context(viewport={"width": width, "height": 900})
                page = signed_in.new_page()
                page.goto(f"{site.url}/login")
                page.fill("#token", site.admin_token)
                page.click("button[type=submit]")
                page.wait_for_url(f"{site.url}/")
                for spec in PAGES:
                    if args.page and spec.name not in args.page:
                        continue
                    tab = (signed_in if spec.signed_in else signed_out).new_page()
                    tab.goto(site.href(spec))
                    shot = out / f"{spec.name}-{width}.png"
                    tab.screenshot(path=str(shot), full_page=True)
                    written.append(shot.name)
                    if tab.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
                        overflowing.append(shot.name)
                    if spec.menu and spec.name == "overview" and width < 1180:
                        tab.click(".menu > summary")
                        shot = out / f"menu-open-{width}.png"
                        tab.screenshot(path=str(shot))
                        written.append(shot.name)
                    tab.close()
                signed_in.close()
                signed_out.close()
        finally:
            browser.close()
    print(json.dumps({"out": str(out), "files": written, "overflowing": overflowing}))


if __name__ == "__main__":
    main()
