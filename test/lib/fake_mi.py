"""A fake of the server's management interface for siplinectl tests: a JSON-RPC server on a
unix socket that answers the methods in `answers` with their results and any other method
with 'method not found', as a server without that module does. Records every call in
`calls`. Bounded: serves at most `max_connections` connections; stop() ends it."""

import json
import os
import socket
import threading


class FakeMi:
    def __init__(self, path, answers, max_connections=40):
        self.path, self.answers, self.calls = path, answers, []
        self.max_connections = max_connections
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(4)
        self.sock.settimeout(0.2)
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        served = 0
        while not self.stopping and served < self.max_connections:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            served += 1
            conn.settimeout(5)
            with conn, conn.makefile("rw") as f:
                for line in f:
                    req = json.loads(line)
                    self.calls.append((req["method"], req.get("params")))
                    if req["method"] in self.answers:
                        resp = {"jsonrpc": "2.0", "id": req["id"],
                                "result": self.answers[req["method"]]}
                    else:
                        resp = {"jsonrpc": "2.0", "id": req["id"],
                                "error": {"code": -32601,
                                          "message": f"method '{req['method']}' not found"}}
                    f.write(json.dumps(resp) + "\n")
                    f.flush()

    def stop(self):
        self.stopping = True
        self.thread.join(5)
        self.sock.close()
        if os.path.exists(self.path):
            os.unlink(self.path)
