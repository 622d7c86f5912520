"""A small client for the dsc work queue's HTTP API (docs/DESIGN.md, "Queue").

queue_producer.py and queue_worker.py share it. Every method is one HTTP
request; the interesting part is what happens when a request fails:

* The node answered with an error (4xx/5xx): raise QueueError, which carries
  the node's JSON error ({"error": CODE, "message": TEXT}).
* The node could not be reached at all (connection refused: it is down or
  restarting): the request never left this machine, so sending it again is
  always safe. Retry with exponential backoff until give_up_after seconds.
* The connection broke or timed out after the request was sent: the node
  may or may not have acted on it. Retry only requests that are safe to
  repeat (idempotent); otherwise raise Unreachable and let the caller decide.
"""

import json
import sys
import time

import requests
import urllib3

DEFAULT_URL = "http://127.0.0.1:7000"


class QueueError(Exception):
    """The node answered with an HTTP error status."""

    def __init__(self, method, path, status, body):
        self.status = status
        self.body = body  # the node's JSON error, or the raw text if not JSON
        shown = body if isinstance(body, str) else json.dumps(body)
        super().__init__(f"{method} {path} answered {status}: {shown}")


class Unreachable(Exception):
    """No answer from the node (down, restarting, or the connection broke)."""


def never_sent(error):
    """True if the connection could not even be opened (refused, no route),
    so the node cannot have seen the request."""
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def describe(error):
    """What went wrong, in a few words."""
    if never_sent(error):
        return "connection refused"
    if isinstance(error, requests.Timeout):
        return "timed out"
    return "connection lost"


class QueueClient:
    def __init__(self, url=DEFAULT_URL, give_up_after=30.0):
        self.url = url.rstrip("/")
        self.give_up_after = give_up_after  # seconds of retrying before Unreachable
        self.session = requests.Session()  # reuses one connection for many requests

    def enqueue(self, payload, idempotency_key=None, max_retries=None):
        """POST /tasks. Returns (created, reply): created is False when the
        idempotency key already named a task (the node answers 200, not 201)."""
        body = {"payload": payload}
        if idempotency_key is not None:
            body["idempotency_key"] = idempotency_key
        if max_retries is not None:
            body["max_retries"] = max_retries
        # Without a key, a repeat after a lost answer could enqueue twice.
        status, reply = self._request("POST", "/tasks", body,
                                      safe_to_repeat=idempotency_key is not None)
        return status == 201, reply

    def lease(self, worker, lease_ms, wait_ms):
        """POST /tasks/lease. Returns the task, or None if none came within wait_ms.
        Safe to repeat: a lease whose answer we lost simply runs out."""
        body = {"worker": worker, "lease_ms": lease_ms, "wait_ms": wait_ms}
        status, reply = self._request("POST", "/tasks/lease", body, safe_to_repeat=True,
                                      timeout=wait_ms / 1000 + 10)
        return reply if status == 200 else None

    def ack(self, task_id, worker):
        """POST /tasks/{id}/ack: the task is done. A repeat is answered 409."""
        return self._request("POST", f"/tasks/{task_id}/ack", {"worker": worker},
                             safe_to_repeat=True)[1]

    def fail(self, task_id, worker, error):
        """POST /tasks/{id}/fail: the node retries the task later, or
        dead-letters it (status "failed") once its retries are used up."""
        return self._request("POST", f"/tasks/{task_id}/fail",
                             {"worker": worker, "error": error}, safe_to_repeat=True)[1]

    def stats(self):
        return self._request("GET", "/stats", safe_to_repeat=True)[1]

    def _request(self, method, path, body=None, safe_to_repeat=False, timeout=10):
        """Sends one request; returns (status, JSON reply or None)."""
        delay, deadline = 0.2, time.monotonic() + self.give_up_after
        while True:
            try:
                response = self.session.request(method, self.url + path, json=body,
                                                timeout=timeout)
                break
            except (requests.ConnectionError, requests.Timeout) as error:
                why = describe(error)
                if not (never_sent(error) or safe_to_repeat):
                    raise Unreachable(f"{method} {path}: no answer from {self.url} ({why}); "
                                      "the node may or may not have done it") from None
            if time.monotonic() + delay > deadline:
                raise Unreachable(f"cannot reach {self.url} ({why}); "
                                  f"gave up after {self.give_up_after:g} s")
            print(f"cannot reach {self.url} ({why}); retrying in {delay:.1f} s",
                  file=sys.stderr, flush=True)
            time.sleep(delay)
            delay = min(delay * 2, 5.0)  # back off, so a restarting node is not hammered

        return response.status_code, decode(response, method, path)


def decode(response, method, path):
    """The reply's JSON (None for an empty body, as in 204). An error status,
    or a body that is not JSON (not a dsc node?), becomes a QueueError."""
    try:
        body = response.json() if response.content else None
    except ValueError:
        raise QueueError(method, path, response.status_code, response.text) from None
    if response.status_code >= 400:
        raise QueueError(method, path, response.status_code, body)
    return body
