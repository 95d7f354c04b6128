"""Screenshot of a zonesim report (the README's picture), in Debian's headless Chromium driven by Playwright.

    python tools/report_screenshot.py results/guangxi_2020-0/report.html docs/figures/report_guangxi_2020.png

Needs `apt-get install chromium fonts-noto-cjk` and the test extra (playwright); downloads no browser.
"""

from __future__ import annotations

import argparse
from pathlib import Path

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("report", type=Path, help="a report.html")
    p.add_argument("png", type=Path, help="the PNG to write")
    p.add_argument("--width", type=int, default=1200)
    p.add_argument("--height", type=int, default=1500)
    p.add_argument("--chromium", default="/usr/bin/chromium")
    args = p.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=ARGS)
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        page.goto(args.report.resolve().as_uri(), wait_until="load")
        page.screenshot(path=str(args.png))
        browser.close()
    print(f"{args.png}: {args.png.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
