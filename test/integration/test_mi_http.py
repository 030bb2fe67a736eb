"""The management interface over HTTP (mi.http): JSON-RPC 2.0 as POST bodies, basic auth,
Prometheus metrics at /metrics, and a stalled client that cannot block the others.  The
server listens on a free TCP port of 127.0.0.1, next to its usual unix socket."""

import base64
import json
import socket
import time
import urllib.error
import urllib.request

import harness
from harness import LOOPBACK, Server, check, check_eq

MI_LINE = 'mi = { socket = "@MI_SOCK@"; };'


def free_tcp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def http_server(user=None, password=None):
    """A Server whose mi group adds http (and the credentials when given); returns
    (server, base URL)."""
    port = free_tcp_port()
    keys = f'socket = "@MI_SOCK@"; http = "{LOOPBACK}:{port}";'
    if user is not None:
        keys += f' http_user = "{user}"; http_password = "{password}";'
    check(MI_LINE in harness.DEFAULT_SETTINGS, "harness settings template changed its mi line")
    settings = harness.DEFAULT_SETTINGS.replace(MI_LINE, "mi = { " + keys + " };")
    return Server(settings=settings), f"http://{LOOPBACK}:{port}"


def post(url, body, auth=None, timeout=5.0):
    """POST `body` (bytes or a JSON-able value); returns (status, headers, body bytes)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json"})
    return _open(req, auth, timeout)


def get(url, auth=None, timeout=5.0):
    return _open(urllib.request.Request(url, method="GET"), auth, timeout)


def _open(req, auth, timeout):
    if auth is not None:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def rpc(method, rid=1, params=None):
    req = {"jsonrpc": "2.0", "method": method, "id": rid}
    if params is not None:
        req["params"] = params
    return req


def test_version_and_uptime_answer_over_http_post():
    srv, url = http_server()
    with srv:
        status, headers, body = post(url + "/mi", rpc("version"))
        check_eq(status, 200, "POST /mi version status")
        check_eq(headers.get("Content-Type"), "application/json", "content type")
        res = json.loads(body)
        check_eq(res.get("id"), 1, "response id")
        check("version" in res.get("result", {}), f"version result: {res!r}")
        # The same over the unix socket: one MI process serves both.
        check_eq(res["result"]["version"], srv.mi("version")["version"], "version via socket")
        status, _, body = post(url + "/", [rpc("uptime", 2), rpc("uptime", 3)])
        check_eq(status, 200, "POST / batch status")
        res = json.loads(body)
        check(isinstance(res, list) and sorted(r["id"] for r in res) == [2, 3],
              f"batch answer: {res!r}")
        check(all("uptime" in r["result"] for r in res), f"uptime results: {res!r}")


def test_basic_auth_refuses_a_wrong_password_and_accepts_the_right_one():
    srv, url = http_server(user="ops", password="s3cret")
    with srv:
        status, headers, _ = post(url + "/mi", rpc("version"))
        check_eq(status, 401, "no credentials")
        check_eq(headers.get("WWW-Authenticate"), 'Basic realm="sipline"', "challenge")
        status, _, _ = post(url + "/mi", rpc("version"), auth=("ops", "wrong"))
        check_eq(status, 401, "wrong password")
        status, _, _ = get(url + "/metrics", auth=("ops", "wrong"))
        check_eq(status, 401, "wrong password on /metrics")
        status, _, body = post(url + "/mi", rpc("version"), auth=("ops", "s3cret"))
        check_eq(status, 200, "right password")
        check("version" in json.loads(body)["result"], f"answer {body!r}")
        check("s3cret" not in srv.log(), "the password appears in the server log")
        failures = srv.stat("mi:http_auth_failures")
        check(failures >= 3, f"mi:http_auth_failures = {failures}, expected >= 3")


def test_bad_json_body_gets_a_parse_error_with_status_200():
    srv, url = http_server()
    with srv:
        status, _, body = post(url + "/mi", b"{not json")
        check_eq(status, 200, "status of a JSON-RPC parse error")
        res = json.loads(body)
        check_eq(res.get("error", {}).get("code"), -32700, "JSON-RPC error code")
        status, _, body = post(url + "/mi", {"jsonrpc": "2.0", "method": "version"})
        check_eq(status, 204, "notification status")
        check_eq(body, b"", "notification body")
        status, _, _ = get(url + "/nowhere")
        check_eq(status, 404, "unknown path")
        status, headers, _ = get(url + "/mi")
        check_eq(status, 405, "GET /mi")
        check_eq(headers.get("Allow"), "POST", "Allow of /mi")


def test_metrics_are_prometheus_text():
    srv, url = http_server()
    with srv:
        status, headers, body = get(url + "/metrics")
        check_eq(status, 200, "GET /metrics status")
        check_eq(headers.get("Content-Type"), "text/plain; version=0.0.4; charset=utf-8",
                 "metrics content type")
        text = body.decode()
        check(any(line.startswith("# TYPE ") for line in text.splitlines()),
              f"no '# TYPE' line in /metrics:\n{text[:500]}")


def test_a_stalled_client_does_not_block_another():
    srv, url = http_server()
    with srv:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection((LOOPBACK, port), timeout=5) as stalled:
            # Half a request: headers promise 100 bytes of body, one arrives.
            stalled.sendall(b"POST /mi HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
            time.sleep(0.2)
            start = time.monotonic()
            status, _, body = post(url + "/mi", rpc("version"), timeout=3.0)
            check_eq(status, 200, "request next to a stalled client")
            check(time.monotonic() - start < 2.0, "request waited for the stalled client")
            check("version" in json.loads(body)["result"], f"answer {body!r}")
        check(srv.alive(), "server died")


def raw_exchange(port, request):
    """Sends `request` bytes (with Connection: close) and returns the status code."""
    with socket.create_connection((LOOPBACK, port), timeout=5) as conn:
        conn.sendall(request)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else 0


def test_browser_shaped_requests_are_refused_without_credentials():
    srv, url = http_server()
    with srv:
        port = int(url.rsplit(":", 1)[1])
        body = json.dumps(rpc("version")).encode()
        # curl -d without -H: a form a web page may post to any site.
        form = (b"POST /mi HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        check_eq(raw_exchange(port, form), 415, "form-encoded POST")
        # After DNS rebinding the browser names the attacker's host.
        rebound = (b"POST /mi HTTP/1.1\r\nHost: evil.example:%d\r\nConnection: close\r\n"
                   b"Content-Type: application/json\r\n"
                   b"Content-Length: %d\r\n\r\n%s" % (port, len(body), body))
        check_eq(raw_exchange(port, rebound), 403, "foreign Host")
        head = b"HEAD /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        check_eq(raw_exchange(port, head), 405, "HEAD /metrics")
        status, _, _ = post(url.replace(LOOPBACK, "localhost") + "/mi", rpc("version"))
        check_eq(status, 200, "Host: localhost")
        check("has no credentials" in srv.log(), "no notice about the missing credentials")
