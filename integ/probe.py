# ruff: noqa: S310 - https URLs from the API stage and SageMaker only
"""Probe Lambda for the integration test (inline code: integ_notebook_access.py reads it).

Standard library, boto3 and botocore only (all in the Lambda Python runtime), no Docker bundling.
Actions (the event's "action"):
  inside   in the VPC behind the NAT: SigV4 POST to the granted notebook's URL route, open
           the URL (redirects followed), start a kernel, open its channels WebSocket,
           delete the kernel (so idle stop can happen); the same call for a notebook it is
           not granted. Returns statuses only, never the URL.
  mint     a fresh URL for the "outside" probe (the URL goes from Lambda to Lambda only).
  outside  no VPC: the SigV4 POST (refused by the allow-list), then a URL minted by the
           inside probe, opened from here (refused by the minting role's deny).
Both also GET the portal's page (unsigned): inside, 200 with the strict CSP, and the
listing without a token 401 (the Cognito authorizer); outside, the page 403.
Every request has a timeout; the function's own (90 s) ends a run that still hangs, so a
slow attempt fails and is retried instead of outliving the assertion provider's 120 s.
"""

import base64
import http.client
import http.cookiejar
import json
import os
import ssl
import urllib.error
import urllib.parse
import urllib.request

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

E = os.environ


def signed_post(name):
    url = E["API_URL"].rstrip("/") + f"/notebooks/{name}/url"
    req = AWSRequest("POST", url, data=b"{}", headers={"Content-Type": "application/json"})
    creds = boto3.Session().get_credentials()
    SigV4Auth(creds, "execute-api", E["AWS_REGION"]).add_auth(req)
    r = urllib.request.Request(url, data=b"{}", headers=dict(req.headers), method="POST")
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, {}


def get(path):
    try:
        with urllib.request.urlopen(E["API_URL"].rstrip("/") + path, timeout=30) as r:
            return r.status, r.headers.get("Content-Security-Policy", "")
    except urllib.error.HTTPError as e:
        return e.code, ""


def open_url(url):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    try:
        with opener.open(url, timeout=60) as resp:
            status, final = resp.status, resp.geturl()
    except urllib.error.HTTPError as e:
        return e.code, None
    except urllib.error.URLError:
        return 0, None
    host = urllib.parse.urlsplit(final).netloc
    ok = status == 200 and host.endswith(".sagemaker.aws")
    return (status if ok else -status), (opener, jar, host) if ok else None


def kernel_websocket(opener, jar, host):
    xsrf = next((c.value for c in jar if c.name == "_xsrf"), "")
    base = f"https://{host}/api/kernels"
    h = {"X-XSRFToken": xsrf, "Content-Type": "application/json"}
    r = urllib.request.Request(base, data=b"{}", headers=h, method="POST")
    with opener.open(r, timeout=60) as resp:
        kernel = json.loads(resp.read())["id"]
    conn = http.client.HTTPSConnection(host, timeout=30, context=ssl.create_default_context())
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    key = base64.b64encode(os.urandom(16)).decode()
    conn.request(
        "GET",
        f"/api/kernels/{kernel}/channels",
        headers={
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": key,
            "Sec-WebSocket-Version": "13",
            "Cookie": cookies,
            "Origin": f"https://{host}",
        },
    )
    status = conn.getresponse().status
    conn.close()
    opener.open(urllib.request.Request(f"{base}/{kernel}", headers=h, method="DELETE"), timeout=20)
    return status


def handler(event, context):
    action = event.get("action")
    if action == "mint":
        _, body = signed_post(E["NOTEBOOK"])
        return {"url": body.get("AuthorizedUrl")}
    if action == "inside":
        api, body = signed_post(E["NOTEBOOK"])
        opened, session = open_url(body["AuthorizedUrl"]) if api == 200 else (0, None)
        ws = kernel_websocket(*session) if session else 0
        ungranted, _ = signed_post(E["UNGRANTED"])
        page, csp = get("/")
        return {
            "apiStatus": api,
            "openStatus": opened,
            "websocket": ws,
            "ungranted": ungranted,
            "notServed": signed_post(E["NOT_SERVED"])[0],
            "page": page,
            "strictCsp": csp.startswith("default-src 'none'"),
            "listingUnsigned": get("/portal/notebooks")[0],
        }
    if action == "outside":
        api, _ = signed_post(E["NOTEBOOK"])
        minted = boto3.client("lambda").invoke(
            FunctionName=E["INSIDE"], Payload=json.dumps({"action": "mint"})
        )
        url = json.loads(minted["Payload"].read()).get("url")
        opened, _ = open_url(url) if url else (0, None)
        return {"apiStatus": api, "minted": bool(url), "opened": opened == 200, "page": get("/")[0]}
    raise ValueError(f"unknown action {action!r}")
