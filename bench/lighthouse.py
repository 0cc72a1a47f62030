"""`make lighthouse`: Lighthouse's accessibility, best-practices and layout-shift (CLS) figures for
the main pages (support center, a ticket, help home, an article, rewards, the agent queue), on a
desktop and a phone, printed as a table; the audits that cost points are listed under it.

    .venv/bin/python bench/lighthouse.py [--base-url http://127.0.0.1:8000 --customer EMAIL:PASSWORD
                                          --agent EMAIL:PASSWORD --ticket NUMBER] [--json out.json]

Without --base-url the product is started the way `make run` starts it (tests/e2e/harness.py), on
a data folder of its own, with the customer, ticket and agent of `make screenshots`. Lighthouse
is the `lighthouse` command (LIGHTHOUSE=/path/to/lighthouse, one on PATH, or npx's cache); when
none is there the script says how to get one and exits 0: it is never part of `make test`.
Chromium is CHROME_PATH, else the chromium on PATH.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.e2e.harness import login_response, start_product  # noqa: E402

FORMS = ("desktop", "mobile")
TARGETS = {"accessibility": 0.95, "best-practices": 1.0}
CLS_TARGET = 0.1
INSTALL_HINT = ("Lighthouse is not installed: `npm install --prefix ~/.cache/lighthouse lighthouse` "
                "then LIGHTHOUSE=~/.cache/lighthouse/node_modules/.bin/lighthouse make lighthouse")


def lighthouse_command() -> list[str] | None:
    """The command that runs Lighthouse here, or None (no npm download is started for it)."""
    named = os.environ.get("LIGHTHOUSE")
    if named:
        return [named] if Path(named).exists() or shutil.which(named) else None
    if shutil.which("lighthouse"):
        return ["lighthouse"]
    npx = shutil.which("npx")
    if npx and subprocess.run([npx, "--no-install", "lighthouse", "--version"], capture_output=True,
                              timeout=120).returncode == 0:
        return [npx, "--no-install", "lighthouse"]
    return None


def pages(ticket: str) -> list[tuple[str, str, str]]:
    """(name, who, path): who is nobody, the customer or the agent."""
    return [
        ("support", "customer", "/support"),
        ("ticket", "customer", f"/support/tickets/{ticket}"),
        ("help", "", "/help"),
        ("article", "", "/help/articles/deposit-not-credited"),
        ("rewards", "customer", "/rewards"),
        ("agent-queue", "agent", "/agent"),
    ]


def cookie_header(product, email: str, password: str) -> str:
    answer = login_response(product, email, password)
    return "; ".join(f"{name}={answer.cookies[name]}" for name in ("session", "csrf_token"))


def audit(command: list[str], url: str, form: str, cookie: str | None, chrome: str, folder: Path) -> dict:
    out = folder / "report.json"
    args = [*command, url, "--quiet", "--output=json", f"--output-path={out}",
            "--only-categories=accessibility,best-practices,performance",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --lang=en-US",
            "--max-wait-for-load=30000"]
    if form == "desktop":
        args.append("--preset=desktop")
    if cookie:
        args.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    subprocess.run(args, check=True, env={**os.environ, "CHROME_PATH": chrome}, timeout=300,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    report = json.loads(out.read_text("utf-8"))
    categories = report["categories"]
    failing = sorted(
        {ref["id"] for name in TARGETS for ref in categories[name]["auditRefs"]
         if ref["weight"] and (report["audits"][ref["id"]].get("score") is not None)
         and report["audits"][ref["id"]]["score"] < 1})
    # A page that sent the run elsewhere (a lapsed session to /login) is not the page measured.
    final = report.get("finalDisplayedUrl") or report.get("finalUrl") or url
    if final.split("?")[0].rstrip("/") != url.split("?")[0].rstrip("/"):
        failing.insert(0, "redirected to " + final)
    return {"accessibility": categories["accessibility"]["score"],
            "best-practices": categories["best-practices"]["score"],
            "cls": report["audits"]["cumulative-layout-shift"]["numericValue"], "failing": failing}


def seeded(product) -> dict:
    """The customer (with a ticket, a call and a friend) and the agent of `make screenshots`."""
    from tests.web.screenshots import world

    made = world(product)
    return {"customer": (made["customer"].email, "correct horse 1"), "agent": (made["agent"].email, "agent password 1"),
            "ticket": made["number"]}


def run(product, people: dict, command: list[str], chrome: str) -> list[dict]:
    cookies = {"": None, **{who: cookie_header(product, *people[who]) for who in ("customer", "agent")}}
    rows = []
    with tempfile.TemporaryDirectory(prefix="lighthouse-") as folder:
        for name, who, path in pages(people["ticket"]):
            for form in FORMS:
                result = audit(command, product.url(path), form, cookies[who], chrome, Path(folder))
                rows.append({"page": name, "form": form, **result})
                print(f"{name:12} {form:8} accessibility {result['accessibility']:.2f}  best practices "
                      f"{result['best-practices']:.2f}  CLS {result['cls']:.3f}"
                      + (f"  ({', '.join(result['failing'])})" if result["failing"] else ""), flush=True)
    return rows


class Given:
    """A product already running (`make run`), reached at its address."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.mfa_keys: dict = {}  # an account with 2FA cannot be logged in to from here

    def url(self, path: str) -> str:
        return self.base_url + path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", help="a running product; else one is started")
    parser.add_argument("--customer", help="EMAIL:PASSWORD of a customer of the running product")
    parser.add_argument("--agent", help="EMAIL:PASSWORD of an agent of the running product")
    parser.add_argument("--ticket", help="a ticket number of that customer")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    command = lighthouse_command()
    if command is None:
        print(INSTALL_HINT)
        return 0
    chrome = os.environ.get("CHROME_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not chrome:
        print("Lighthouse needs Chromium (CHROME_PATH, or chromium on PATH); skipped.")
        return 0
    with tempfile.TemporaryDirectory(prefix="lighthouse-product-") as folder:
        if args.base_url:
            if not (args.customer and args.agent and args.ticket):
                parser.error("--base-url needs --customer, --agent and --ticket")
            product = Given(args.base_url)
            people = {"customer": tuple(args.customer.split(":", 1)), "agent": tuple(args.agent.split(":", 1)),
                      "ticket": args.ticket}
            rows = run(product, people, command, chrome)
        else:
            product = start_product(Path(folder))
            try:
                rows = run(product, seeded(product), command, chrome)
            finally:
                product.stop()
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", "utf-8")
    short = [row for row in rows if row["accessibility"] < TARGETS["accessibility"]
             or row["best-practices"] < TARGETS["best-practices"] or row["cls"] > CLS_TARGET]
    print(f"{len(rows) - len(short)} of {len(rows)} page runs meet accessibility >= 0.95, best practices 1.00, "
          f"CLS <= {CLS_TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
