// The notebook portal's page script (issue 11). Served inline by the handler, allowed by
// its SHA-256 in the page's Content-Security-Policy; no other script runs on the page.
//
// Sign-in: authorization code flow with PKCE (RFC 7636) against the Cognito user pool's
// managed login; the browser exchanges the code itself, since the VPC Lambda has no
// route to Cognito's hosted endpoints. The ID token is kept in localStorage (so an
// Open link's new tab can use it) until it expires; API Gateway's Cognito authorizer
// validates it on every API call. A presigned URL is only ever the target of
// location.replace in the tab that asked for it: never stored, never put in the DOM.
"use strict";

const config = JSON.parse(document.getElementById("portal-config").textContent);
const SESSION_KEY = "notebook-portal-session";
const PENDING_KEY = "notebook-portal-pending-sign-in";
const OPEN_PREFIX = "#open=";
// An Open click leaves this for the tab it opens; an #open= address without it (a link
// from elsewhere, a bookmark) asks for a click before anything is minted.
const OPEN_CLICK_KEY = "notebook-portal-open-click";
const OPEN_CLICK_TTL_MS = 5 * 60 * 1000; // long enough for a sign-in on the way
// A sign-in that ends in no usable session this soon after it is not retried: a
// misconfigured pool or authorizer would otherwise send the browser round forever.
const LAST_SIGN_IN_KEY = "notebook-portal-last-sign-in";
const SIGN_IN_LOOP_MS = 30 * 1000;
// Ask for a new token a minute before it expires rather than fail a click.
const EXPIRY_MARGIN_MS = 60 * 1000;
// The one rule for an AuthorizedUrl before the page goes there, written out on the text
// rather than left to the URL parser: the notebook CLI's (cli.py _authorized_url_problem)
// is the same, and tests/authorized_url_cases.json tests both with the same cases.
const URL_TEXT = /^[\x21-\x7e]+$/; // printable ASCII, no spaces
const SCHEME = /^([A-Za-z][A-Za-z0-9+.\-]{0,19}):/;
const NOTEBOOK_HOST_LABELS = ["notebook", "notebook-fips"];

const $ = (id) => document.getElementById(id);

// The hosts SageMaker serves a notebook on: {name}.notebook[-fips].{region}.sagemaker.aws,
// sagemaker.com.cn in the China regions (the Public Suffix List's Amazon section). A
// member account's notebook is "<account id>:<name>": its host has the name only.
function notebookHosts(notebook, region) {
  const name = notebook.slice(notebook.lastIndexOf(":") + 1).toLowerCase();
  const where = region.toLowerCase();
  const domain = where.startsWith("cn-") ? "sagemaker.com.cn" : "sagemaker.aws";
  return NOTEBOOK_HOST_LABELS.map((label) => `${name}.${label}.${where}.${domain}`);
}

// Why url is not on the notebook's own host, or "" if it is. Printable ASCII; "https://";
// then the authority, up to the first "/", "?" or "#", is exactly one of the hosts (any
// case), with ":443" at most: no user info, backslash or other port gets another host in.
function authorizedUrlProblem(url, notebook, region) {
  if (!url) return "the answer has none";
  if (typeof url !== "string" || !URL_TEXT.test(url)) {
    return "it contains control characters, spaces or non-ASCII characters";
  }
  if (url.slice(0, 8).toLowerCase() !== "https://") {
    const scheme = SCHEME.exec(url);
    return `it is not an https:// URL${scheme ? ` (scheme '${scheme[1]}')` : ""}`;
  }
  const authority = url.slice(8).split(/[/?#]/, 1)[0];
  if (authority.includes("@")) return "it has user info before the host";
  const colon = authority.lastIndexOf(":");
  const host = colon < 0 ? authority : authority.slice(0, colon);
  const port = colon < 0 ? null : authority.slice(colon + 1);
  if (port !== null && port !== "443") {
    const named = /^\d{1,5}$/.test(port) ? `port ${port}` : "a port that is not a number";
    return `it names ${named}, not the default https port`;
  }
  if (!notebookHosts(notebook, region).includes(host.toLowerCase())) {
    const shown = host.length <= 120 ? host : `${host.slice(0, 117)}...`;
    return `its host '${shown}' is not the notebook's`;
  }
  return "";
}

function show(message, kind) {
  const box = $("message");
  box.textContent = message;
  box.className = kind || "";
  box.hidden = !message;
}

function base64url(bytes) {
  let text = "";
  for (const byte of new Uint8Array(bytes)) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomText(byteCount) {
  return base64url(crypto.getRandomValues(new Uint8Array(byteCount)));
}

function loadSession() {
  try {
    const session = JSON.parse(localStorage.getItem(SESSION_KEY) || "null");
    if (session && session.idToken && Date.now() < session.expiresAt - EXPIRY_MARGIN_MS) {
      return session;
    }
  } catch (error) {
    // A damaged entry is treated as no session.
  }
  localStorage.removeItem(SESSION_KEY);
  return null;
}

async function signIn(intent) {
  const verifier = randomText(48);
  const state = randomText(24);
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, intent: intent || "" }));
  const challenge = base64url(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)),
  );
  const query = new URLSearchParams({
    response_type: "code",
    client_id: config.clientId,
    redirect_uri: config.portalUrl,
    scope: config.scopes,
    state,
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  location.assign(`${config.signInUrl}/oauth2/authorize?${query}`);
}

async function finishSignIn(params) {
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) || "null");
  sessionStorage.removeItem(PENDING_KEY);
  // The code and state leave the address bar (and the history) before anything else.
  history.replaceState(null, "", config.portalUrl);
  // State first: an answer this tab did not ask for shows nothing of what it carries.
  if (!pending || params.get("state") !== pending.state) {
    throw new Error("sign-in failed: the answer does not match a sign-in this tab started");
  }
  if (params.has("error")) {
    const code = /^[a-z_]{1,64}$/.test(params.get("error")) ? params.get("error") : "error";
    throw new Error(`sign-in failed: ${code}`);
  }
  const response = await fetch(`${config.signInUrl}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: config.clientId,
      code: params.get("code"),
      redirect_uri: config.portalUrl,
      code_verifier: pending.verifier,
    }),
  });
  if (!response.ok) throw new Error(`sign-in failed: the token endpoint answered ${response.status}`);
  const tokens = await response.json();
  // expires_in is the access token's lifetime; NotebookPortal gives the ID token the same
  // (session_minutes), and a 401 from the authorizer is the fallback either way.
  const lifetimeMs = Number(tokens.expires_in) * 1000;
  localStorage.setItem(
    SESSION_KEY,
    JSON.stringify({ idToken: tokens.id_token, expiresAt: Date.now() + lifetimeMs }),
  );
  sessionStorage.setItem(LAST_SIGN_IN_KEY, String(Date.now()));
  if (pending.intent) history.replaceState(null, "", config.portalUrl + pending.intent);
}

function signOut() {
  localStorage.removeItem(SESSION_KEY);
  // Back to a signed-out page, not to the portal (which would sign straight back in
  // where the IdP's own session lives on).
  const query = new URLSearchParams({
    client_id: config.clientId,
    logout_uri: `${config.portalUrl}?signed_out=1`,
  });
  location.assign(`${config.signInUrl}/logout?${query}`);
}

class SessionExpired extends Error {}

async function callApi(method, path) {
  const session = loadSession();
  if (!session) throw new SessionExpired();
  const response = await fetch(config.portalUrl + path, {
    method,
    headers: { Authorization: session.idToken },
    cache: "no-store",
    credentials: "omit",
    referrerPolicy: "no-referrer",
  });
  // 401: the authorizer refused the token (expired, revoked pool key, tampered).
  if (response.status === 401) {
    localStorage.removeItem(SESSION_KEY);
    throw new SessionExpired();
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.message || `the API answered ${response.status}`);
  return body;
}

function notebookRow(notebook, allowStart) {
  const row = document.createElement("tr");
  const name = document.createElement("td");
  name.textContent = notebook.NotebookInstanceName;
  const status = document.createElement("td");
  status.textContent = notebook.NotebookInstanceStatus;
  status.className = `status ${notebook.NotebookInstanceStatus.toLowerCase()}`;
  const actions = document.createElement("td");
  if (notebook.NotebookInstanceStatus === "InService") {
    // A link the person clicks opens the tab: no window.open after an await, which
    // popup blockers stop (and which left Service Workbench with a null window).
    const open = document.createElement("a");
    open.href = OPEN_PREFIX + encodeURIComponent(notebook.NotebookInstanceName);
    open.target = "_blank";
    open.rel = "noopener noreferrer";
    open.textContent = "Open";
    open.className = "button";
    open.dataset.notebook = notebook.NotebookInstanceName;
    open.addEventListener("click", () => {
      const click = { name: notebook.NotebookInstanceName, at: Date.now() };
      localStorage.setItem(OPEN_CLICK_KEY, JSON.stringify(click));
    });
    actions.append(open);
  } else if (notebook.NotebookInstanceStatus === "Stopped" && allowStart) {
    const start = document.createElement("button");
    start.textContent = "Start";
    start.dataset.notebook = notebook.NotebookInstanceName;
    start.addEventListener("click", () => startNotebook(notebook.NotebookInstanceName));
    actions.append(start);
  }
  row.append(name, status, actions);
  return row;
}

async function showNotebooks() {
  show("Loading your notebooks…");
  const listing = await callApi("GET", "portal/notebooks");
  $("who").textContent = listing.signedInAs || "";
  $("incomplete").hidden = listing.complete !== false;
  const rows = $("notebooks");
  rows.replaceChildren(...listing.notebooks.map((nb) => notebookRow(nb, listing.allowStart)));
  $("listing").hidden = false;
  $("signed-in").hidden = false;
  show(listing.notebooks.length ? "" : "You have no notebooks on this API. Ask your platform team.");
}

async function startNotebook(name) {
  show(`Starting ${name}…`);
  try {
    await callApi("POST", `portal/notebooks/${encodeURIComponent(name)}/start`);
    await showNotebooks();
  } catch (error) {
    await handle(error, "");
  }
}

async function openNotebook(name) {
  show(`Opening ${name}…`);
  let answer;
  try {
    answer = await callApi("POST", `portal/notebooks/${encodeURIComponent(name)}/open`);
  } catch (error) {
    if (!(error instanceof SessionExpired)) localStorage.removeItem(OPEN_CLICK_KEY);
    throw error;
  }
  localStorage.removeItem(OPEN_CLICK_KEY);
  // Only to the notebook's own host: an API (or anything in front of it) that answers
  // another address gets no navigation. The message names at most the host.
  const problem = authorizedUrlProblem(answer.AuthorizedUrl, name, config.region || "");
  if (problem) {
    throw new Error(
      `The API's answer for ${name} is not a usable notebook address (${problem}); ` +
        "nothing was opened. Tell your platform team.",
    );
  }
  // replace, not assign: Back returns to the portal, not to a page that mints again.
  location.replace(answer.AuthorizedUrl);
}

function clickedOpen(name) {
  // Kept until the API has answered the open (openNotebook): a sign-in on the way, for an
  // expired token, must not turn the click into a second question.
  const click = JSON.parse(localStorage.getItem(OPEN_CLICK_KEY) || "null");
  return Boolean(click && click.name === name && Date.now() - click.at < OPEN_CLICK_TTL_MS);
}

function askBeforeOpening(name) {
  show(`Open notebook ${name}?`);
  const button = $("confirm-open");
  button.textContent = `Open ${name}`;
  button.hidden = false;
  button.addEventListener("click", () => {
    button.hidden = true;
    openNotebook(name).catch((e) => handle(e, ""));
  });
}

function offerSignIn(message, intent) {
  show(message, "error");
  $("retry").hidden = false;
  $("retry").addEventListener("click", () => signIn(intent));
}

async function signInAgain(intent) {
  const last = Number(sessionStorage.getItem(LAST_SIGN_IN_KEY) || 0);
  if (Date.now() - last < SIGN_IN_LOOP_MS) {
    const message = "Signing in gave no usable session; try again, or ask your platform team.";
    offerSignIn(message, intent);
    return;
  }
  await signIn(intent);
}

async function handle(error, intent) {
  if (error instanceof SessionExpired) {
    show("Your session expired. Signing you in again…");
    await signInAgain(intent);
    return;
  }
  show(error.message, "error");
}

async function main() {
  $("sign-out").addEventListener("click", signOut);
  $("refresh").addEventListener("click", () => showNotebooks().catch((e) => handle(e, "")));
  const params = new URLSearchParams(location.search);
  if (params.has("signed_out")) {
    history.replaceState(null, "", config.portalUrl);
    offerSignIn("You are signed out.", "");
    $("message").className = "";
    return;
  }
  try {
    if (params.has("code") || params.has("error")) await finishSignIn(params);
  } catch (error) {
    offerSignIn(error.message, "");
    return;
  }
  const intent = location.hash.startsWith(OPEN_PREFIX) ? location.hash : "";
  if (!loadSession()) {
    await signInAgain(intent);
    return;
  }
  try {
    if (intent) {
      const name = decodeURIComponent(intent.slice(OPEN_PREFIX.length));
      if (clickedOpen(name)) await openNotebook(name);
      else askBeforeOpening(name);
    } else {
      await showNotebooks();
    }
  } catch (error) {
    await handle(error, intent);
  }
}

main();
