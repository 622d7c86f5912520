"""A leader-following client for the dsc Raft KV store (docs/DESIGN.md, "Raft"),
and a tiny command line around it.

    .venv/bin/python raft_client.py put color blue
    .venv/bin/python raft_client.py get color
    .venv/bin/python raft_client.py get color --stale --url http://127.0.0.1:7403
    .venv/bin/python raft_client.py cas color blue green
    .venv/bin/python raft_client.py cas --absent shape circle
    .venv/bin/python raft_client.py delete color

Only the leader serves reads and writes. The client may start at any node
(--url, one or more, comma-separated or repeated) and finds the leader:

* 421 not_leader: the node names the leader (leader_url) when it knows
  one; go there at once. When it does not (an election is on), wait a
  little and try the next node of the list.
* No answer (the node is down, or the hint names a host this machine
  cannot reach): try the next node of the list.
* 503: the node could not tell whether the write happened (it may still
  commit). Send the same write again.

Sending a write again is safe because every write carries this client's id
and a sequence number (?client=ID&seq=N). The cluster applies each
(client, seq) at most once; a repeat is answered with the first outcome
and "duplicate": true.

Exit status: 0 done, 1 an error (printed), 2 a bad flag, 3 the key is
absent (get) or the compare-and-swap did not swap (cas), 130 on Ctrl-C.
"""

import argparse
import json
import os
import sys
import time
from urllib.parse import quote

import requests
import urllib3

DEFAULT_URLS = ["http://127.0.0.1:7401"]


class RaftError(Exception):
    """A node answered with an error that retrying cannot fix (400, 413...)."""

    def __init__(self, method, path, status, body):
        self.status = status
        self.body = body  # the node's JSON error, or the raw text if not JSON
        shown = body if isinstance(body, str) else json.dumps(body)
        super().__init__(f"{method} {path} answered {status}: {shown}")


class Unreachable(Exception):
    """No leader answered within give_up_after seconds."""


def never_sent(error):
    """True if the connection could not even be opened (refused, unknown
    host), so the node cannot have seen the request."""
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def describe(error):
    """What went wrong, in a few words."""
    if isinstance(error, requests.Timeout) and not never_sent(error):
        return "no answer in time"
    if never_sent(error):
        reason = error.args[0].reason
        if isinstance(reason, urllib3.exceptions.NameResolutionError):
            return "unknown host"
        return "connection refused"
    return "connection lost"


def json_of(response):
    try:
        return response.json() if response.content else None
    except ValueError:
        return response.text


def field(response, name):
    """A field of the response's JSON object (None if absent, or not JSON)."""
    body = json_of(response)
    return body.get(name) if isinstance(body, dict) else None


class RaftClient:
    """Thread-compatible (one thread at a time): it keeps the leader it
    found and the sequence number of its last write."""

    def __init__(self, urls=None, timeout=10.0, give_up_after=30.0, client_id=None,
                 first_seq=1, log=None):
        self.urls = [url.rstrip("/") for url in (urls or DEFAULT_URLS)]
        self.timeout = timeout  # seconds per request; the node itself answers 503 after 5 s
        self.give_up_after = give_up_after  # seconds, for one call, before Unreachable
        # A random id is unique enough: two clients sharing one would see
        # each other's writes as duplicates.
        self.client_id = client_id or f"py-{os.urandom(6).hex()}"
        self.next_seq = first_seq
        self.leader = None  # the URL that last served us
        self.next_node = 0  # where in self.urls to try next
        self.log = log or (lambda line: None)
        self.session = requests.Session()

    # ANCHOR: put
    def put(self, key, value):
        """PUT /kv/{key}. Returns {"key","index"} (+ "duplicate": true when an
        earlier attempt of this same write had already been applied)."""
        response = self._send("PUT", key_path(key), data=value.encode(), write=True)
        return self._reply(response, "PUT", key)
    # ANCHOR_END: put

    def get(self, key, stale=False):
        """GET /kv/{key}: {"key","value","index"}, or None when absent.
        stale=True reads whichever node answers first, without following
        the leader, and may miss the latest writes."""
        if stale:
            return self._get_stale(key)
        response = self._send("GET", key_path(key))
        if response.status_code == 404:
            return None
        return self._reply(response, "GET", key)

    def delete(self, key):
        """DELETE /kv/{key}: {"key","deleted","index"}; deleted is False
        when the key was already absent."""
        response = self._send("DELETE", key_path(key), write=True)
        return self._reply(response, "DELETE", key)

    def cas(self, key, expected, value):
        """POST /kv/{key}/cas: sets key to value only if its current value is
        expected (None: only if the key is absent). Returns (swapped, reply):
        when not swapped, reply["value"] is the current value (or None)."""
        body = json.dumps({"expected": expected, "value": value}).encode()
        response = self._send("POST", key_path(key) + "/cas", data=body, write=True,
                              headers={"Content-Type": "application/json"})
        if response.status_code == 412:
            return False, json_of(response)
        return True, self._reply(response, "POST", key + "/cas")

    # ANCHOR: follow_leader
    def _send(self, method, path, data=None, headers=None, write=False):
        """Sends one request to the leader, wherever it is, and returns the
        response (any status except 421 and 503, which are handled here).
        A write gets its (client, seq) once: every attempt repeats it."""
        params = None
        if write:
            params = {"client": self.client_id, "seq": self.next_seq}
            self.next_seq += 1
        url = self.leader or self._next_node()
        followed = set()  # hints followed since the last pause (no ping-pong)
        delay, deadline = 0.05, time.monotonic() + self.give_up_after
        while True:
            try:
                response = self.session.request(method, url + path, data=data, params=params,
                                                headers=headers, timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout) as error:
                # A write may have reached the node; the same seq makes a
                # repeat safe, so move on to the next node either way.
                why, url_next = describe(error), self._next_node(after=url)
            else:
                if response.status_code == 421:
                    hint = field(response, "leader_url")
                    if hint and hint not in followed:
                        self.log(f"{url} is not the leader; following it to {hint}")
                        followed.add(hint)
                        url = hint
                        continue
                    why = (f"not the leader, and points back to {hint}" if hint
                           else "not the leader, and knows none")
                    url_next = self._next_node(after=url)
                elif response.status_code == 503:
                    # Outcome unknown: the write may still commit. Ask again,
                    # with the same seq, so it is applied at most once.
                    why, url_next = f"503 {field(response, 'message')}", url
                else:
                    self.leader = url
                    return response
            self.leader = None
            if time.monotonic() + delay > deadline:
                raise Unreachable(f"{method} {path}: no leader answered ({url}: {why}); "
                                  f"gave up after {self.give_up_after:g} s")
            self.log(f"{url}: {why}; retrying at {url_next} in {delay:.2f} s")
            time.sleep(delay)
            delay = min(delay * 2, 1.0)  # an election takes about a second
            url, followed = url_next, set()
    # ANCHOR_END: follow_leader

    def _next_node(self, after=None):
        """The next URL of the list, round robin (after `after` if it is one)."""
        if after in self.urls:
            self.next_node = self.urls.index(after) + 1
        url = self.urls[self.next_node % len(self.urls)]
        self.next_node = (self.next_node + 1) % len(self.urls)
        return url

    def _get_stale(self, key):
        """A stale read asks the first node of the list that answers."""
        last_error = None
        for url in self.urls:
            try:
                response = self.session.get(url + key_path(key), params={"stale": "true"},
                                            timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout) as error:
                last_error = f"{url}: {describe(error)}"
                self.log(f"{last_error}; trying the next node")
                continue
            if response.status_code == 404:
                return None
            return self._reply(response, "GET", key)
        raise Unreachable(f"GET {key_path(key)}?stale=true: no node answered ({last_error})")

    @staticmethod
    def _reply(response, method, what):
        body = json_of(response)
        if response.status_code >= 400 or not isinstance(body, dict):
            raise RaftError(method, f"/kv/{what}", response.status_code, body)
        return body


def key_path(key):
    # Keys are 1..1024 bytes without '/'; anything else is escaped here and
    # refused by the node with a 400 or 404.
    return "/kv/" + quote(key, safe="")


# --- the command line ---------------------------------------------------------

def parse_args():
    # The options may come before or after the command (put, get...): each
    # subcommand knows them too, with SUPPRESS defaults so that it does not
    # overwrite what was given before the command.
    def add_options(parser, defaults):
        def default(value):
            return value if defaults else argparse.SUPPRESS
        parser.add_argument("--url", action="append", metavar="URL[,URL...]",
                            default=default(None),
                            help="nodes to start from, comma-separated or repeated "
                                 f"(default: {DEFAULT_URLS[0]})")
        parser.add_argument("--timeout", type=float, default=default(10), metavar="SECONDS",
                            help="wait this long for one answer (default: 10)")
        parser.add_argument("--give-up-after", type=float, default=default(30),
                            metavar="SECONDS",
                            help="keep looking for a leader this long (default: 30)")
        parser.add_argument("--client", metavar="ID", default=default(None),
                            help="the client id writes carry (default: a random one)")
        parser.add_argument("--seq", type=int, metavar="N", default=default(None),
                            help="the sequence number of this write (default: 1); send the "
                                 "same --client and --seq twice and the second is a duplicate")
        parser.add_argument("--quiet", action="store_true", default=default(False),
                            help="do not say how the leader was found")

    parser = argparse.ArgumentParser(
        description="Read and write the dsc Raft KV store through its leader.")
    add_options(parser, defaults=True)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, help_text):
        sub = commands.add_parser(name, help=help_text, description=help_text)
        add_options(sub, defaults=False)
        return sub

    put = command("put", "put KEY VALUE: set a value")
    put.add_argument("key")
    put.add_argument("value")
    get = command("get", "get KEY [--stale]: read a value")
    get.add_argument("key")
    get.add_argument("--stale", action="store_true",
                     help="read the first node's copy, leader or not (may be out of date)")
    cas = command("cas", "cas KEY EXPECTED VALUE | cas --absent KEY VALUE: compare and swap")
    cas.add_argument("--absent", action="store_true",
                     help="swap only if KEY does not exist (then give KEY VALUE only)")
    cas.add_argument("words", nargs="+", metavar="ARG",
                     help="KEY EXPECTED VALUE, or KEY VALUE with --absent")
    delete = command("delete", "delete KEY: delete a key")
    delete.add_argument("key")
    args = parser.parse_args()

    args.urls = [url for flag in (args.url or DEFAULT_URLS) for url in flag.split(",") if url]
    if not args.urls:
        parser.error("--url needs at least one URL")
    if args.timeout <= 0 or args.give_up_after < 0:
        parser.error("--timeout must be > 0 and --give-up-after >= 0")
    if args.seq is not None and (args.seq < 1 or args.client is None):
        parser.error("--seq needs --client, and must be 1 or more")
    if args.command == "cas":
        wanted = 2 if args.absent else 3
        if len(args.words) != wanted:
            cas.error(f"expected {'KEY VALUE' if args.absent else 'KEY EXPECTED VALUE'}")
        args.key, args.value = args.words[0], args.words[-1]
        args.expected = None if args.absent else args.words[1]
    return args


def run(args, client):
    """Runs one command; returns the exit status."""
    if args.command == "put":
        reply = client.put(args.key, args.value)
        if reply.get("duplicate"):
            print(f"put {args.key}: a duplicate, already applied at index {reply['index']} "
                  "(this attempt changed nothing)")
        else:
            print(f"put {args.key} = {json.dumps(args.value)} at index {reply['index']}")
    elif args.command == "get":
        reply = client.get(args.key, stale=args.stale)
        if reply is None:
            print(f"{args.key} is absent")
            return 3
        note = ", stale read" if reply.get("stale") else ""
        print(f"{args.key} = {json.dumps(reply['value'])} (index {reply['index']}{note})")
    elif args.command == "cas":
        swapped, reply = client.cas(args.key, args.expected, args.value)
        if not swapped:
            current = reply.get("value")
            print(f"not swapped: {args.key} is "
                  f"{'absent' if current is None else json.dumps(current)}")
            return 3
        note = " (duplicate)" if reply.get("duplicate") else ""
        print(f"swapped {args.key} to {json.dumps(args.value)} at index {reply['index']}{note}")
    elif args.command == "delete":
        reply = client.delete(args.key)
        what = "deleted" if reply["deleted"] else "was already absent:"
        note = " (duplicate)" if reply.get("duplicate") else ""
        print(f"{what} {args.key} at index {reply['index']}{note}")
    return 0


def main():
    args = parse_args()
    log = None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    client = RaftClient(args.urls, args.timeout, args.give_up_after, args.client,
                        args.seq or 1, log)
    try:
        return run(args, client)
    except (RaftError, Unreachable) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
