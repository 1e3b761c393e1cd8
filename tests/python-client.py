"""roomcast's contract as a client other than socket.io-client sees it: python-socketio (Debian's
python3-socketio), over long-polling upgraded to WebSocket. Run by python-client.test.ts against a
server it started; the environment names the servers and the credentials:

  ROOMCAST_URL         a server with guests, JWT_SECRET and API_KEY
  ROOMCAST_CLOSED_URL  a server with ALLOW_GUESTS=false
  ROOMCAST_API_KEY     the first server's API key
  ROOMCAST_TOKEN       a valid user token with the integer sub 42
  ROOMCAST_BAD_TOKEN   a token signed with another secret
"""

import json
import os
import queue
import unittest
import urllib.request
import uuid

import socketio

URL = os.environ["ROOMCAST_URL"]
CLOSED_URL = os.environ["ROOMCAST_CLOSED_URL"]
API_KEY = os.environ["ROOMCAST_API_KEY"]
TOKEN = os.environ["ROOMCAST_TOKEN"]
BAD_TOKEN = os.environ["ROOMCAST_BAD_TOKEN"]
WAIT = 5


class Client:
    """One python-socketio client on the given namespaces; every server event lands in a queue."""

    def __init__(self, namespaces=("/chat",), auth=None, url=URL):
        self.sio = socketio.Client(reconnection=False)
        self.events = {}
        self.refusals = queue.Queue()
        for namespace in namespaces:
            for event in ("session", "message:new", "push:new", "request:failed"):
                self._record(event, namespace)
            self.sio.on("connect_error", self.refusals.put, namespace=namespace)
        self.sio.connect(url, namespaces=list(namespaces), auth=auth or {}, wait_timeout=WAIT)

    def _record(self, event, namespace):
        box = self.events.setdefault((event, namespace), queue.Queue())
        self.sio.on(event, box.put, namespace=namespace)

    def next(self, event, namespace="/chat"):
        """The next `event` the server sent on `namespace`; fails after WAIT seconds."""
        try:
            return self.events[(event, namespace)].get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError(f"no {event} on {namespace} within {WAIT} s") from None

    def none(self, event, namespace="/chat"):
        """True when nothing more of `event` has arrived."""
        return self.events[(event, namespace)].empty()

    def call(self, event, *args, namespace="/chat"):
        """An event with an ack; `args` are its arguments before the ack (none, one or more)."""
        data = None if not args else args[0] if len(args) == 1 else tuple(args)
        return self.sio.call(event, data, namespace=namespace, timeout=WAIT)

    def close(self):
        self.sio.disconnect()


def http(method, path, body=None):
    request = urllib.request.Request(
        URL + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {API_KEY}"},
    )
    with urllib.request.urlopen(request, timeout=WAIT) as response:
        return response.status, json.load(response)


def refusal(url, auth):
    """Connects expecting a refused handshake; returns the connect_error's payload."""
    sio = socketio.Client(reconnection=False)
    outcome = queue.Queue()
    sio.on("connect_error", outcome.put, namespace="/chat")
    sio.on("connect", lambda: outcome.put("connected"), namespace="/chat")
    # Not waiting in connect(): it would wait out its whole timeout for a refused namespace.
    sio.connect(url, namespaces=["/chat"], auth=auth, wait=False)
    try:
        result = outcome.get(timeout=WAIT)
    finally:
        sio.disconnect()
    if result == "connected":
        raise AssertionError(f"{auth} was not refused")
    return result


def fresh(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class Chat(unittest.TestCase):
    def setUp(self):
        self.room = fresh("py")
        self.ana = Client(auth={"name": "Ana"})
        self.addCleanup(self.ana.close)
        self.bo = Client(auth={"name": "Bo", "token": None})
        self.addCleanup(self.bo.close)
        for client in (self.ana, self.bo):
            self.assertEqual(client.next("session")["user"]["kind"], "guest")
            joined = client.call("room:join", {"room": self.room, "after": None, "limit": None})
            self.assertTrue(joined["ok"], joined)

    def send(self, text, client=None):
        ack = (client or self.ana).call("message:send", {"room": self.room, "text": text, "clientId": str(uuid.uuid4())})
        self.assertTrue(ack["ok"], ack)
        return ack["message"]

    def test_join_send_and_history_paging(self):
        self.assertEqual(self.ana.sio.transport(), "websocket", "the long-polling start was upgraded")
        sent = [self.send(f"m{i}") for i in range(1, 6)]
        self.assertEqual([m["seq"] for m in sent], [1, 2, 3, 4, 5])
        self.assertEqual([self.bo.next("message:new") for _ in sent], sent)

        page = self.bo.call("message:history", {"room": self.room, "before": 4, "limit": 2})
        self.assertEqual(([m["text"] for m in page["messages"]], page["hasMore"]), (["m2", "m3"], True))
        page = self.bo.call("message:history", {"room": self.room, "before": 2, "after": None, "limit": 2})
        self.assertEqual(([m["text"] for m in page["messages"]], page["hasMore"]), (["m1"], False))
        page = self.bo.call("message:history", {"room": self.room, "after": 3})
        self.assertEqual([m["text"] for m in page["messages"]], ["m4", "m5"])
        rejoined = self.bo.call("room:join", {"room": self.room, "after": 4})
        self.assertEqual((rejoined["lastSeq"], [m["seq"] for m in rejoined["messages"]]), (5, [5]))
        self.assertEqual(sorted(m["name"] for m in rejoined["members"]), ["Ana", "Bo"])

    def test_send_without_ack_is_stored_and_broadcast(self):
        self.ana.sio.emit("message:send", {"room": self.room, "text": "no ack", "clientId": "py-1"}, namespace="/chat")
        message = self.bo.next("message:new")
        self.assertEqual((message["text"], message["clientId"]), ("no ack", "py-1"))
        self.assertEqual(self.bo.call("message:history", {"room": self.room})["messages"], [message])

    def test_errors_are_answered(self):
        def code(*args):
            ack = self.ana.call(*args)
            self.assertFalse(ack["ok"], args)
            self.assertIsInstance(ack["error"]["message"], str)
            return ack["error"]["code"]

        self.assertEqual(code("message:send", {"room": self.room, "text": "x"}), "bad_request")
        self.assertEqual(code("message:send", {"room": self.room, "text": "x" * 2001, "clientId": "long"}), "too_large")
        self.assertEqual(code("message:send", {"room": "elsewhere", "text": "x", "clientId": "c"}), "forbidden")
        self.assertEqual(code("room:join", {"room": "bad room"}), "bad_request")
        self.assertEqual(code("room:join", {"room": self.room, "after": 2**53}), "bad_request")
        self.assertEqual(code("room:join"), "bad_request")  # an ack and no payload
        self.assertEqual(code("room:join", {"room": self.room}, "extra"), "bad_request")
        self.assertEqual(code("no:such:event", {"room": self.room}), "bad_request")

        self.ana.sio.emit("message:send", {"room": self.room, "text": " \u202e ", "clientId": "py-empty"}, namespace="/chat")
        failed = self.ana.next("request:failed")
        self.assertEqual((failed["event"], failed["clientId"], failed["error"]["code"]), ("message:send", "py-empty", "bad_request"))
        self.ana.sio.emit("room:join", namespace="/chat")
        self.assertEqual(self.ana.next("request:failed")["error"]["code"], "bad_request")
        self.assertEqual(self.send("still fine")["seq"], 1)
        self.assertEqual(self.bo.next("message:new")["text"], "still fine")
        self.assertTrue(self.bo.none("request:failed"))


class Push(unittest.TestCase):
    def test_subscribe_and_recover_with_after(self):
        topic = fresh("py.feed")
        client = Client(namespaces=("/push",))
        self.addCleanup(client.close)
        first = client.call("push:subscribe", {"topic": topic, "after": None}, namespace="/push")
        self.assertEqual((first["ok"], first["missed"], first["lastSeq"]), (True, [], 0))
        status, body = http("POST", "/api/push", {"topic": topic, "event": "tick", "data": {"n": 1}})
        self.assertEqual((status, body["pushes"][0]["seq"]), (202, 1))
        push = client.next("push:new", "/push")
        self.assertEqual((push["seq"], push["event"], push["data"]), (1, "tick", {"n": 1}))
        client.close()

        http("POST", "/api/push", {"pushes": [{"topic": topic, "data": n} for n in (2, 3)]})
        again = Client(namespaces=("/push",))
        self.addCleanup(again.close)
        resumed = again.call("push:subscribe", {"topic": topic, "after": push["seq"]}, namespace="/push")
        self.assertEqual([p["data"] for p in resumed["missed"]], [2, 3])
        self.assertEqual((resumed["lastSeq"], resumed["epoch"], "truncated" in resumed), (3, first["epoch"], False))
        self.assertEqual(again.call("push:subscribe", {"topic": topic}, 1, namespace="/push")["error"]["code"], "bad_request")


class Identity(unittest.TestCase):
    def test_a_token_with_an_integer_sub(self):
        client = Client(auth={"token": TOKEN})
        self.addCleanup(client.close)
        self.assertEqual(client.next("session")["user"], {"id": "42", "name": "Ada", "kind": "user"})

    def test_refusals(self):
        bad = refusal(URL, {"token": BAD_TOKEN})
        self.assertEqual((bad["message"], bad["data"]["code"]), ("invalid_token", "invalid_token"))
        closed = refusal(CLOSED_URL, {"name": "Guest", "token": None})
        self.assertEqual((closed["message"], closed["data"]["code"]), ("guests_disabled", "guests_disabled"))
        self.assertIsInstance(closed["data"]["message"], str)


if __name__ == "__main__":
    result = unittest.main(verbosity=2, exit=False).result
    # A client a failed test left connected keeps threads alive; the verdict must not wait for them.
    os._exit(0 if result.wasSuccessful() else 1)
