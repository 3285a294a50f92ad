"""The portal in a real browser (issue 11): Debian's Chromium, driven by Playwright.

From the bookmark through the user pool's sign-in to the listing, Open in a new tab
to Jupyter, and what must not happen: another person's notebook, a stale session,
another site's page, cookies, the URL in a log or a Referer. The page, its script and
the handler are the real ones; around them tests/portal_harness.py plays API Gateway
(with the Cognito authorizer), Cognito's managed login and Jupyter; SageMaker is moto.

Chromium comes from Debian (`make test` installs it: the Makefile's browser target);
Playwright's own browser download is not reachable here. Without /usr/bin/chromium
these tests fail rather than skip: a skipped browser test is not a pass.

UPDATE_SCREENSHOT=1 rewrites docs/portal.png (the README's picture) from the listing.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from handler_events import LocalSageMaker
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from portal_harness import (
    CLIENT_ID,
    JUPYTER_HOSTS,
    MISSING_TOKEN,
    UNAUTHORIZED,
    Person,
    Portal,
    running_portal,
)

from sagemaker_notebook_access.runtime import cli

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "portal.png"
# Cognito's shortest ID token lifetime (5 minutes); the page renews a minute early.
LIFETIME = 300

ALICE = Person("alice", "5b1c09e2-alice", "alice@example.com", ("analysts", "readers"))
BOB = Person("bob", "8d4f6a31-bob", "bob@example.com")
# name, status, owners tag, groups tag. "team-" names are served (HANDLER_ENV's prefix).
NOTEBOOKS = [
    ("team-alice", "InService", ALICE.sub, ""),
    ("team-alice-stopped", "Stopped", ALICE.email, ""),  # entitled by email
    ("team-shared", "InService", "", "analysts"),  # entitled by group
    ("team-bob", "InService", BOB.sub, ""),
    ("other-alice", "InService", ALICE.sub, ""),  # tagged for alice, not served by this API
]
ALICE_SEES = {
    "team-alice": "InService",
    "team-alice-stopped": "Stopped",
    "team-shared": "InService",
}
SESSION_KEY = "notebook-portal-session"  # portal.js keeps the ID token under this key


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def portal(sagemaker_api: LocalSageMaker):
    sagemaker_api.reset()
    for name, status, owners, groups in NOTEBOOKS:
        sagemaker_api.create(name, status)
        sagemaker_api.tag(name, owners=owners, groups=groups)
    with running_portal(sagemaker_api, [ALICE, BOB], lifetime=LIFETIME) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run `make test`, whose browser target installs Debian's "
            "chromium (apt-get install chromium); the browser tests do not skip"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def context(browser: Browser, portal: Portal):
    """A fresh browser profile (no storage) per test, the servers' clock at real time."""
    portal.clock.offset = 0
    fresh = browser.new_context(viewport={"width": 900, "height": 400})
    fresh.set_default_timeout(10_000)
    # The notebooks' own hosts lead to FakeJupyter (the page goes nowhere else).
    fresh.route(JUPYTER_HOSTS, portal.jupyter.forward)
    yield fresh
    fresh.close()


# ---------------------------------------------------------------- helpers


def sign_in(page: Page, portal: Portal, person: Person = ALICE) -> None:
    """From the bookmark: the page sends the browser to the sign-in form; one click back."""
    page.goto(portal.url)
    expect(page).to_have_title("Sign in")
    pick_on_sign_in_form(page, portal, person)
    expect(page.locator("#listing")).to_be_visible()


def pick_on_sign_in_form(page: Page, portal: Portal, person: Person) -> None:
    assert page.url.startswith(f"{portal.pool.origin}/oauth2/authorize?")
    page.get_by_role("button", name=f"Sign in as {person.login}").click()


def listing(page: Page) -> dict[str, str]:
    """The listing as shown: notebook name -> status."""
    rows = page.locator("#notebooks tr")
    return {
        row.locator("td").nth(0).inner_text(): row.locator("td").nth(1).inner_text()
        for row in rows.all()
    }


def open_link(page: Page, name: str):
    return page.locator(f'#notebooks a[data-notebook="{name}"]')


def session_token(page: Page) -> str:
    return json.loads(page.evaluate(f"localStorage.getItem({SESSION_KEY!r})"))["idToken"]


# ---------------------------------------------------------------- the way in


def test_from_the_bookmark_a_person_signs_in_and_sees_only_their_notebooks(
    context: BrowserContext, portal: Portal
) -> None:
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and "favicon.ico" not in (message.location or {}).get("url", "")
            and problems.append(message.text)
        ),
    )
    sign_in(page, portal)

    assert listing(page) == ALICE_SEES  # not team-bob; not other-alice (not served)
    expect(page.locator("#who")).to_have_text(ALICE.email)
    # Open only for InService notebooks; Start for the stopped one (ALLOW_START=true).
    expect(page.locator("#notebooks a")).to_have_count(2)
    expect(open_link(page, "team-alice")).to_have_attribute("target", "_blank")
    expect(page.locator('#notebooks button[data-notebook="team-alice-stopped"]')).to_have_text(
        "Start"
    )
    # The code and state left the address bar; the page's script ran under its CSP.
    assert page.url == portal.url
    assert problems == []
    # The pool saw exactly the flow the page must run: code + PKCE S256, state echoed.
    assert portal.pool.refusals == []

    if os.environ.get("UPDATE_SCREENSHOT") == "1":
        page.screenshot(path=str(SCREENSHOT), clip={"x": 0, "y": 0, "width": 900, "height": 290})

    other = context.browser.new_context()
    try:
        bob_page = other.new_page()
        sign_in(bob_page, portal, BOB)
        assert listing(bob_page) == {"team-bob": "InService"}
        expect(bob_page.locator("#who")).to_have_text(BOB.email)
    finally:
        other.close()


def test_open_takes_one_click_and_lands_on_jupyter_in_a_new_tab(
    context: BrowserContext, portal: Portal
) -> None:
    page = context.new_page()
    sign_in(page, portal)  # click 1: the person on the sign-in form
    minted, jupyter_requests = portal.shim.presign_requests, len(portal.jupyter.log)

    with context.expect_page() as opened:
        open_link(page, "team-alice").click()  # click 2
    tab = opened.value
    expect(tab).to_have_title("Jupyter")
    expect(tab.locator("h1")).to_have_text("Jupyter Server")

    assert tab.url == portal.jupyter.url_for("team-alice")
    assert portal.shim.presign_requests == minted + 1
    arrived = [s for s in portal.jupyter.log[jupyter_requests:] if s.path != "/favicon.ico"]
    assert [(seen.method, seen.path, seen.status) for seen in arrived] == [
        ("GET", f"/?authToken={portal.jupyter.token}", 200)
    ]
    assert arrived[0].header("Referer") is None
    # The portal tab stays where it was, still listing.
    assert page.url == portal.url
    expect(page.locator("#listing")).to_be_visible()


def test_another_persons_notebook_is_refused_and_nothing_is_minted(
    context: BrowserContext, portal: Portal
) -> None:
    page = context.new_page()
    sign_in(page, portal)
    minted, jupyter_requests = portal.shim.presign_requests, len(portal.jupyter.log)

    for name, refusal in [("team-bob", "not entitled"), ("other-alice", "not served")]:
        tab = context.new_page()  # what an #open= link (or a typed address) opens
        tab.goto(f"{portal.url}#open={name}")
        # Not from an Open click: the page asks first, and nothing is asked of the API.
        expect(tab.get_by_role("button", name=f"Open {name}")).to_be_visible()
        tab.get_by_role("button", name=f"Open {name}").click()
        expect(tab.locator("#message.error")).to_contain_text(refusal)
        assert tab.url.startswith(portal.url)
        tab.close()

    assert portal.shim.presign_requests == minted
    assert len(portal.jupyter.log) == jupyter_requests
    opens = [s for s in portal.api.log if s.path.endswith(("/team-bob/open", "/other-alice/open"))]
    assert [seen.status for seen in opens[-2:]] == [403, 404]


def test_a_link_from_elsewhere_mints_nothing_until_the_person_clicks(
    context: BrowserContext, portal: Portal
) -> None:
    page = context.new_page()
    sign_in(page, portal)
    minted = portal.shim.presign_requests
    tab = context.new_page()  # an email's or another site's link to the portal
    tab.goto(f"{portal.url}#open=team-alice")
    confirm = tab.get_by_role("button", name="Open team-alice")
    expect(confirm).to_be_visible()
    assert portal.shim.presign_requests == minted
    confirm.click()
    expect(tab).to_have_title("Jupyter")
    assert portal.shim.presign_requests == minted + 1


def test_start_on_a_stopped_notebook(
    context: BrowserContext, portal: Portal, sagemaker_api: LocalSageMaker
) -> None:
    page = context.new_page()
    sign_in(page, portal)
    try:
        page.locator('#notebooks button[data-notebook="team-alice-stopped"]').click()
        expect(page.locator("#notebooks tr", has_text="team-alice-stopped")).not_to_contain_text(
            "Stopped"
        )
        assert sagemaker_api.status("team-alice-stopped") != "Stopped"
    finally:
        sagemaker_api.client.stop_notebook_instance(NotebookInstanceName="team-alice-stopped")


# ---------------------------------------------------------------- the session


def test_a_token_that_expired_mid_page_leads_back_through_sign_in_to_the_notebook(
    context: BrowserContext, portal: Portal
) -> None:
    """The authorizer refuses the token (401) while the page still holds it: the Open
    tab signs in again and, keeping what was asked, lands on Jupyter."""
    page = context.new_page()
    sign_in(page, portal)
    minted = portal.shim.presign_requests
    portal.clock.advance(LIFETIME + 1)  # the token is past its exp for API Gateway

    with context.expect_page() as opened:
        open_link(page, "team-alice").click()
    tab = opened.value
    expect(tab).to_have_title("Sign in")
    refused = [s for s in portal.api.log if s.path.endswith("/team-alice/open")][-1]
    assert (refused.method, refused.status) == ("POST", 401)
    assert portal.shim.presign_requests == minted

    pick_on_sign_in_form(tab, portal, ALICE)
    expect(tab).to_have_title("Jupyter")
    assert portal.shim.presign_requests == minted + 1


def test_a_session_past_its_lifetime_signs_in_again_without_calling_the_api(
    context: BrowserContext, portal: Portal
) -> None:
    """The person comes back after the token's lifetime: the page knows the session is
    over, signs in again on the next action, and the listing works."""
    context.clock.install()
    page = context.new_page()
    sign_in(page, portal)
    old_token = session_token(page)
    page.clock.fast_forward(LIFETIME * 1000)
    portal.clock.advance(LIFETIME)
    seen_before = len(portal.api.log)

    page.get_by_role("button", name="Refresh").click()
    expect(page).to_have_title("Sign in")
    assert [s.path for s in portal.api.log[seen_before:] if "/portal/" in s.path] == []

    pick_on_sign_in_form(page, portal, ALICE)
    expect(page.locator("#listing")).to_be_visible()
    assert listing(page) == ALICE_SEES
    assert session_token(page) != old_token


def test_a_sign_in_that_never_gives_a_usable_token_stops_instead_of_looping(
    context: BrowserContext, portal: Portal
) -> None:
    # Every token refused (as with an authorizer on the wrong pool): one round through
    # sign-in, then the page stops and offers a button.
    issuer = portal.api._issuer
    portal.api._issuer = "https://another-pool.example"
    try:
        page = context.new_page()
        page.goto(portal.url)
        pick_on_sign_in_form(page, portal, ALICE)
        expect(page.locator("#message.error")).to_contain_text("no usable session")
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        sign_ins = [s for s in portal.pool.log if s.path.startswith("/oauth2/authorize")]
        assert sign_ins  # the one round it took
        page.wait_for_timeout(500)
        assert [s for s in portal.pool.log if s.path.startswith("/oauth2/authorize")] == sign_ins
    finally:
        portal.api._issuer = issuer


def test_sign_out_clears_the_session(context: BrowserContext, portal: Portal) -> None:
    page = context.new_page()
    sign_in(page, portal)
    logouts = len(portal.pool.logouts)

    page.get_by_role("button", name="Sign out").click()
    # The pool's logout sends the browser back to a signed-out page, which does not sign
    # straight back in (an IdP's own session would make that silent).
    expect(page.locator("#message")).to_contain_text("You are signed out")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert page.url == portal.url
    assert portal.pool.logouts[logouts:] == [
        {"client_id": CLIENT_ID, "logout_uri": f"{portal.url}?signed_out=1"}
    ]
    stored = context.storage_state()["origins"]
    assert [o for o in stored if o["origin"] == portal.api.origin and o["localStorage"]] == []

    again = context.new_page()
    again.goto(portal.url)
    expect(again).to_have_title("Sign in")  # the bookmark asks for sign-in again


# ---------------------------------------------------------------- what must not happen


def test_another_sites_page_cannot_open_a_notebook(context: BrowserContext, portal: Portal) -> None:
    """Even holding a valid token, a page on another origin gets no URL: the API answers
    no preflight (no CORS), and the handler refuses a foreign Origin."""
    # With a route in place, Playwright's interception lets the browser send a
    # cross-origin request without its CORS preflight: this test must see the real one.
    context.unroute(JUPYTER_HOSTS)
    page = context.new_page()
    sign_in(page, portal)
    token = session_token(page)
    target = f"{portal.url}portal/notebooks/team-alice/open"
    minted, seen_before = portal.shim.presign_requests, len(portal.api.log)

    elsewhere = context.new_page()
    elsewhere.goto(portal.elsewhere.origin + "/")
    outcome = elsewhere.evaluate(
        """async ([url, token]) => {
            const attempt = async (init) => {
                try {
                    const response = await fetch(url, init);
                    return response.type === "opaque" ? "opaque" : response.status;
                } catch (error) {
                    return error.name;
                }
            };
            return {
                withToken: await attempt({ method: "POST", headers: { Authorization: token } }),
                simple: await attempt({ method: "POST" }),
                noCors: await attempt({ method: "POST", mode: "no-cors" }),
            };
        }""",
        [target, token],
    )
    assert outcome == {"withToken": "TypeError", "simple": "TypeError", "noCors": "opaque"}
    arrived = [
        (s.method, s.status, s.header("Authorization")) for s in portal.api.log[seen_before:]
    ]
    # The preflight is refused and the POST with the token is never sent; the two
    # simple POSTs carry no token and stop at the authorizer.
    assert sorted(arrived, key=str) == sorted(
        [("OPTIONS", 403, None), ("POST", 401, None), ("POST", 401, None)], key=str
    )
    preflight = next(s for s in portal.api.log[seen_before:] if s.method == "OPTIONS")
    assert not any(k.lower().startswith("access-control-") for k in preflight.reply_headers)
    assert portal.shim.presign_requests == minted

    # Outside a browser, the token with a foreign Origin: the handler's own wall.
    status, _, body = portal.call(
        "POST", "portal/notebooks/team-alice/open", token=token, origin=portal.elsewhere.origin
    )
    assert (status, body["error"]) == (403, "Forbidden")
    assert portal.shim.presign_requests == minted
    # The same call from the portal's origin mints: the refusal above was the Origin.
    status, _, body = portal.call(
        "POST", "portal/notebooks/team-alice/open", token=token, origin=portal.api.origin
    )
    assert status == 200 and body["AuthorizedUrl"] == portal.jupyter.url_for("team-alice")
    assert portal.shim.presign_requests == minted + 1


def test_no_cookies_anywhere(context: BrowserContext, portal: Portal) -> None:
    page = context.new_page()
    seen_before = {"api": len(portal.api.log), "pool": len(portal.pool.log)}
    sign_in(page, portal)
    with context.expect_page() as opened:
        open_link(page, "team-shared").click()
    expect(opened.value).to_have_title("Jupyter")
    page.get_by_role("button", name="Refresh").click()
    expect(page.locator("#listing")).to_be_visible()
    assert page.evaluate("document.cookie") == ""
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("#message")).to_contain_text("You are signed out")

    assert context.cookies() == []
    exchanged = portal.api.log[seen_before["api"] :] + portal.pool.log[seen_before["pool"] :]
    assert len(exchanged) >= 8  # page, code exchange, listings, open, logout, ...
    assert [s.path for s in exchanged if "set-cookie" in {k.lower() for k in s.reply_headers}] == []
    assert [s.path for s in exchanged if s.header("Cookie") is not None] == []


def test_the_url_reaches_only_the_tab_that_asked_for_it(
    context: BrowserContext, portal: Portal
) -> None:
    """Not in any server's request log, a log line, browser storage or a Referer."""
    page = context.new_page()
    sign_in(page, portal)
    jupyter_requests = len(portal.jupyter.log)
    with context.expect_page() as opened:
        open_link(page, "team-alice").click()
    tab = opened.value
    expect(tab).to_have_title("Jupyter")
    secret = portal.jupyter.token

    # The mint happened, went through the handler and its audit line (so the checks
    # below look at logs that exist), and was answered not-to-be-cached.
    opens = [s for s in portal.api.log if s.path.endswith("/team-alice/open")]
    assert opens[-1].status == 200
    assert opens[-1].reply_headers["Cache-Control"] == "no-store"
    audits = [r for r in portal.logs.audit_records() if getattr(r, "route", "") == "portal-open"]
    assert audits and audits[-1].outcome == "ok" and audits[-1].user == ALICE.sub

    for server in (portal.api, portal.pool):
        for seen in server.log:
            assert secret not in seen.path
            assert secret not in json.dumps([dict(seen.headers), dict(seen.reply_headers)])
    assert secret not in portal.logs.text()
    assert secret not in json.dumps(context.storage_state())
    assert secret not in page.evaluate("JSON.stringify(sessionStorage)")
    # The navigation from the portal carries no Referer (the page's no-referrer policy).
    # Jupyter's own favicon request, which names Jupyter's page, is Jupyter's business.
    landing = [s for s in portal.jupyter.log[jupyter_requests:] if s.path != "/favicon.ico"]
    assert len(landing) == 1 and landing[0].header("Referer") is None


# ---------------------------------------------------------------- where Open goes (issue 19)

URL_CASES = json.loads(
    (Path(__file__).resolve().parent.parent / "authorized_url_cases.json").read_text()
)["cases"]


def test_the_page_checks_an_authorized_url_with_the_clis_rule_on_the_same_cases(
    context: BrowserContext, portal: Portal
) -> None:
    """portal.js's authorizedUrlProblem, run in the page, against tests/runtime/test_cli.py's cases
    and the CLI's own function: the same verdict and the same reason for every case."""
    page = context.new_page()
    page.goto(f"{portal.url}?signed_out=1")  # the page with its script, going nowhere
    expect(page.locator("#message")).to_contain_text("You are signed out")
    cases = [{**case, "url": case["url"].replace("{token}", "T0KEN")} for case in URL_CASES]
    answers = page.evaluate(
        "cases => cases.map(c => authorizedUrlProblem(c.url, c.notebook, c.region))", cases
    )
    for case, answer in zip(cases, answers, strict=True):
        hosts = cli.notebook_hosts(case["notebook"], case["region"])
        assert answer == cli._authorized_url_problem(case["url"], hosts), case["id"]
        assert (case["refused"] in answer) if case["refused"] else answer == "", case["id"]
    # The page's settings name the region the function runs in.
    assert page.evaluate("config.region") == "eu-west-1"


@pytest.mark.parametrize(
    "answer",
    [
        "https://evil.example/?authToken={token}",
        "http://team-alice.notebook.eu-west-1.sagemaker.aws/?authToken={token}",
        "https://team-bob.notebook.eu-west-1.sagemaker.aws/?authToken={token}",
    ],
    ids=["other-site", "http", "other-notebook"],
)
def test_open_does_not_go_where_an_answer_off_the_notebooks_host_points(
    context: BrowserContext, portal: Portal, answer: str
) -> None:
    """Whatever answers the open call (a compromised or misrouted API, a proxy), the page
    goes only to the notebook's own https host, as the CLI does; the URL stays unshown."""
    page = context.new_page()
    sign_in(page, portal)
    elsewhere: list[str] = []

    def record(route) -> None:
        elsewhere.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<title>Elsewhere</title>")

    context.route("https://evil.example/**", record)
    context.route("http://**.sagemaker.aws/**", record)
    portal.shim.authorized_url = lambda name: answer.replace("{token}", portal.jupyter.token)
    jupyter_requests = len(portal.jupyter.log)
    try:
        with context.expect_page() as opened:
            open_link(page, "team-alice").click()
        tab = opened.value
        expect(tab.locator("#message.error")).to_contain_text("nothing was opened")
    finally:
        portal.shim.authorized_url = portal.jupyter.url_for
    assert tab.url.startswith(portal.url)
    assert elsewhere == [] and len(portal.jupyter.log) == jupyter_requests
    shown = tab.locator("#message").inner_text()
    assert portal.jupyter.token not in shown + tab.content()


# ---------------------------------------------------------------- the stand-in itself


def test_the_stand_in_refuses_what_api_gateway_refuses(portal: Portal) -> None:
    """The harness must refuse what the real authorizer and stage refuse, or the tests
    above would prove nothing."""
    good = portal.pool.issue(ALICE)
    status, _, body = portal.call("GET", "portal/notebooks", token=good)
    assert status == 200 and set(n["NotebookInstanceName"] for n in body["notebooks"]) == set(
        ALICE_SEES
    )
    tampered = good[:-6] + ("AAAAAA" if not good.endswith("AAAAAA") else "BBBBBB")
    refused_tokens = {
        "none": None,
        "tampered": tampered,
        "expired": portal.pool.issue(ALICE, exp=portal.pool.clock.now() - 1),
        "access token": portal.pool.issue(ALICE, token_use="access"),
        "other issuer": portal.pool.issue(ALICE, iss="https://elsewhere.example"),
    }
    for why, token in refused_tokens.items():
        assert portal.call("GET", "portal/notebooks", token=token)[::2] == (401, UNAUTHORIZED), why
    # Another app client's token passes the authorizer (it knows the pool, not the client);
    # the handler refuses it.
    status, _, body = portal.call(
        "GET", "portal/notebooks", token=portal.pool.issue(ALICE, aud="another-client")
    )
    assert (status, body["error"]) == (403, "Forbidden")
    for method, path in [
        ("OPTIONS", "portal/notebooks/team-alice/open"),
        ("GET", "portal/notebooks/team-alice/open"),
        ("POST", "notebooks/team-alice/url"),
        ("GET", "nothing/here"),
    ]:
        assert portal.call(method, path, token=good)[::2] == (403, MISSING_TOKEN), (method, path)


def test_the_browser_is_debians_chromium(browser: Browser) -> None:
    """The browser the tests drive is the one `make browser` installs, not a download."""
    shown = subprocess.run(
        [str(CHROMIUM), "--version"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert "Debian" in shown and browser.version in shown, (shown, browser.version)
