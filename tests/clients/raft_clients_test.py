"""The Raft KV client examples (clients/python/raft_client.py,
clients/ts/src/raft_client.ts) against a live three-node cluster.

Each case starts three real `dsc raft serve` processes on free ports, runs
a client's command line as a process, and checks the outcome through the
nodes' HTTP API (GET /kv/{key} on the leader, /status), not only through
what the client prints. A case skips only when clients/setup.sh has not
been run (no venv, no TypeScript build).
"""

import re
import signal

import harness
from harness import check, check_equal

# Each client command waits at most this long for a leader.
GIVE_UP = "20"


class Cluster:
    """Three Raft nodes n1..n3 on free ports, with fault injection on."""

    def __init__(self, ctx, extra_args=()):
        ports = {f"n{i}": harness.free_port() for i in (1, 2, 3)}
        peers = ",".join(f"{node}=127.0.0.1:{port}" for node, port in ports.items())
        # Durability is not what these tests are about (tests/raft is):
        # without an fsync per entry the cluster answers faster.
        self.nodes = {node: ctx.node("raft", name=node, port=port,
                                     args=["--id", node, "--peers", peers, "--fsync", "never",
                                           "--admin", *extra_args])
                      for node, port in ports.items()}

    def url(self, node):
        return self.nodes[node].url

    def status(self, node):
        try:
            status, body = harness.http("GET", self.url(node) + "/status", timeout=2)
        except OSError:
            return None
        return body if status == 200 else None

    def wait_leader(self, alive=None, timeout=30):
        """Waits until every live node names the same leader, which says it
        leads; returns its id."""
        alive = alive or list(self.nodes)

        def agreed():
            statuses = [self.status(node) for node in alive]
            if any(s is None for s in statuses):
                return None
            leaders = {s["leader"] for s in statuses}
            if len(leaders) != 1 or None in leaders or leaders == {""}:
                return None
            leader = leaders.pop()
            ok = leader in alive and self.status(leader)["state"] == "leader"
            return leader if ok else None

        return harness.poll_until(agreed, timeout, "the nodes to agree on a leader", 0.1)

    def read(self, node, key, stale=False):
        """GET /kv/{key} on one node: (status, body)."""
        query = "?stale=true" if stale else ""
        return harness.http("GET", f"{self.url(node)}/kv/{key}{query}")


class Client:
    """The command line of one language's Raft client."""

    def __init__(self, ctx, language):
        self.ctx, self.language = ctx, language
        self.command = ctx.client_command(language, "raft_client")

    def args(self, urls, *words):
        return [*self.command, "--url", ",".join(urls), "--give-up-after", GIVE_UP, *words]

    def run(self, urls, *words, expect=0):
        """Runs one command to its end; checks its exit status."""
        return self.ctx.run(self.args(urls, *words), f"{self.language}-{words[0]}",
                            timeout=60).expect_exit(expect)

    def start(self, urls, *words):
        return self.ctx.start(self.args(urls, *words), f"{self.language}-{words[0]}")


def expect_value(cluster, node, key, value):
    """The leader (linearizable read) holds `value` for `key`, or nothing
    when value is None."""
    status, body = cluster.read(node, key)
    if value is None:
        check_equal(status, 404, f"GET /kv/{key} on {node} (the key must be absent)")
    else:
        check(status == 200, f"GET /kv/{key} on {node} answered {status}: {body}")
        check_equal(body["value"], value, f"value of {key} on {node}")


def followed(result, to_url):
    check(f"following it to {to_url}" in result.stderr,
          f"the client should say it follows the hint to {to_url}\n{result.describe()}")


def through_follower(ctx, language):
    """put, get, cas and delete, all sent to a follower: the client follows
    the 421 hint to the leader, and the leader's state shows each write."""
    client = Client(ctx, language)
    cluster = Cluster(ctx)
    leader = cluster.wait_leader()
    follower = next(node for node in cluster.nodes if node != leader)
    at = [cluster.url(follower)]
    leader_url = cluster.url(leader)

    result = client.run(at, "put", "color", "blue")
    followed(result, leader_url)
    check(re.match(r'put color = "blue" at index \d+$', result.stdout.strip()),
          f"put prints the index\n{result.describe()}")
    expect_value(cluster, leader, "color", "blue")

    result = client.run(at, "get", "color")
    check_equal(result.stdout.strip().split(" (")[0], 'color = "blue"', "get through a follower")
    followed(result, leader_url)

    # A stale read is answered by the follower itself, once it has applied
    # the write (it may lag the leader a little).
    harness.poll_until(lambda: cluster.read(follower, "color", stale=True)[0] == 200, 10,
                       f"{follower} to apply the put")
    result = client.run(at, "get", "color", "--stale")
    check("stale read" in result.stdout and "following" not in result.stderr,
          f"a stale read is served by the follower, without following\n{result.describe()}")

    result = client.run(at, "cas", "color", "blue", "green")
    check(result.stdout.startswith('swapped color to "green"'), result.describe())
    expect_value(cluster, leader, "color", "green")
    result = client.run(at, "cas", "color", "blue", "red", expect=3)
    check_equal(result.stdout.strip(), 'not swapped: color is "green"', "a refused cas")
    expect_value(cluster, leader, "color", "green")
    client.run(at, "cas", "--absent", "shape", "circle")
    result = client.run(at, "cas", "--absent", "shape", "square", expect=3)
    check_equal(result.stdout.strip(), 'not swapped: shape is "circle"', "cas --absent, taken")
    expect_value(cluster, leader, "shape", "circle")

    result = client.run(at, "delete", "color")
    check(result.stdout.startswith("deleted color at index"), result.describe())
    expect_value(cluster, leader, "color", None)
    result = client.run(at, "delete", "color")
    check(result.stdout.startswith("was already absent: color"), result.describe())
    result = client.run(at, "get", "color", expect=3)
    check_equal(result.stdout.strip(), "color is absent", "get of a deleted key")

    # The same (client, seq) twice: the second is reported as a duplicate
    # and not applied, even though it carries another value.
    session = ["--client", f"test-{language}", "--seq", "7"]
    result = client.run(at, *session, "put", "once", "first")
    check("duplicate" not in result.stdout, f"the first send is applied\n{result.describe()}")
    index = re.search(r"at index (\d+)", result.stdout).group(1)
    result = client.run(at, *session, "put", "once", "second")
    check_equal(result.stdout.strip(),
                f"put once: a duplicate, already applied at index {index} "
                "(this attempt changed nothing)", "the repeated send")
    expect_value(cluster, leader, "once", "first")

    # A bad flag never reaches the cluster.
    result = client.run(at, "--seq", "3", "put", "k", "v", expect=2)
    check("--seq needs --client" in result.stderr, result.describe())


def leader_killed(ctx, language):
    """kill -9 the leader; a client that starts at the dead node moves on
    through the list, finds the new leader, and its write commits."""
    client = Client(ctx, language)
    cluster = Cluster(ctx)
    leader = cluster.wait_leader()
    everyone = [cluster.url(node) for node in cluster.nodes]
    client.run([cluster.url(leader)], "put", "before", "crash")

    cluster.nodes[leader].signal(signal.SIGKILL)
    cluster.nodes[leader].popen.wait()
    # The dead leader first in the list, so the client must get past it.
    dead_first = [cluster.url(leader)] + [u for u in everyone if u != cluster.url(leader)]
    result = client.run(dead_first, "put", "after", "crash")
    check(f"{cluster.url(leader)}: connection refused" in result.stderr,
          f"the client reports the dead node and moves on\n{result.describe()}")
    result = client.run(dead_first, "get", "before")
    check_equal(result.stdout.strip().split(" (")[0], 'before = "crash"',
                "a write acknowledged before the crash")

    survivors = [node for node in cluster.nodes if node != leader]
    new_leader = cluster.wait_leader(alive=survivors)
    check(new_leader != leader, "a new leader was elected")
    expect_value(cluster, new_leader, "after", "crash")
    expect_value(cluster, new_leader, "before", "crash")


def retry_is_duplicate(ctx, language):
    """A write whose answer does not come in time is sent again with the
    same (client, seq); once the cluster commits, the retry is answered as
    a duplicate, and the value was applied once."""
    client = Client(ctx, language)
    # Elections after 3-6 s, so that cutting the leader off for a second
    # does not depose it: the first attempt's entry stays in its log.
    cluster = Cluster(ctx, ["--election-ticks", "60"])
    leader = cluster.wait_leader()
    url = cluster.url(leader)
    others = [node for node in cluster.nodes if node != leader]
    status, body = harness.post_json(url + "/admin/faults", {"isolate": others})
    check_equal(status, 200, f"POST /admin/faults: {body}")
    before = cluster.status(leader)["commit_index"]

    # The leader appends the write but cannot commit it: no answer within
    # the client's 1 s timeout, so the client retries.
    process = client.start([url], "--timeout", "1", "put", "slow", "value")
    harness.poll_until(lambda: "retrying" in process.output()[1], 20,
                       "the client to retry after its timeout")
    check_equal(cluster.status(leader)["commit_index"], before,
                "the commit index while the leader is cut off")
    harness.http("DELETE", url + "/admin/faults")

    result = process.wait(timeout=60).expect_exit(0)
    check("no answer in time" in result.stderr, result.describe())
    check(re.match(r"put slow: a duplicate, already applied at index \d+", result.stdout),
          f"the retry is answered as a duplicate of the first attempt\n{result.describe()}")
    expect_value(cluster, leader, "slow", "value")


harness.main({
    "python_raft_through_follower": lambda ctx: through_follower(ctx, "python"),
    "ts_raft_through_follower": lambda ctx: through_follower(ctx, "ts"),
    "python_raft_leader_killed": lambda ctx: leader_killed(ctx, "python"),
    "ts_raft_leader_killed": lambda ctx: leader_killed(ctx, "ts"),
    "python_raft_retry_is_duplicate": lambda ctx: retry_is_duplicate(ctx, "python"),
    "ts_raft_retry_is_duplicate": lambda ctx: retry_is_duplicate(ctx, "ts"),
})
