"""The queue client examples (clients/python, clients/ts) against a live node.

Each case starts a real `dsc queue serve`, runs the producer and worker
scripts as processes, and checks the outcome through the node's HTTP API
(/stats, /tasks/{id}), not only through what the clients print. A case skips
only when clients/setup.sh has not been run (no venv, no TypeScript build).
"""

import re

import harness
from harness import check, check_equal, get_json

# What a worker in these tests does when the queue runs dry.
IDLE_EXIT = ["--idle-exit", "2", "--wait-ms", "500"]


def queue_node(ctx, port=None):
    # These tests are about the clients, not durability (tests/crash is):
    # without an fsync per request a 50-task run takes 0.3 s, not 3.
    return ctx.node("queue", port=port, args=["--fsync", "never"])


class Clients:
    """Command lines for one language's producer and worker."""

    def __init__(self, ctx, language):
        self.language = language
        self.producer = ctx.client_command(language, "queue_producer")
        self.worker = ctx.client_command(language, "queue_worker")


def produce(ctx, clients, node, *args):
    """Runs the producer; returns the task ids it printed, in order."""
    result = ctx.run([*clients.producer, "--url", node.url, *args],
                     f"{clients.language}-producer").expect_exit(0)
    return re.findall(r"^(?:created|exists) +(t-\S+)", result.stdout, re.MULTILINE)


def work(ctx, clients, node, *args):
    """Runs one worker until the queue stays empty; returns its Result."""
    return ctx.run([*clients.worker, "--url", node.url, "--work-ms", "5", *IDLE_EXIT, *args],
                   f"{clients.language}-worker").expect_exit(0)


def check_stats(node, **expected):
    stats = get_json(node.url + "/stats")
    for field, value in expected.items():
        actual = stats["counters"][field[9:]] if field.startswith("counters_") else stats[field]
        check_equal(actual, value, f"/stats {field.replace('counters_', 'counters.')}")
    return stats


def roundtrip(ctx, producer_language, worker_language, count=50):
    """Enqueue `count` tasks, then two workers at once drain the queue."""
    producer = Clients(ctx, producer_language)
    worker = Clients(ctx, worker_language)
    node = queue_node(ctx)
    ids = produce(ctx, producer, node, "--count", str(count),
                  "--payload", '{"n": {n}, "from": "%s"}' % producer_language)
    check_equal(len(set(ids)), count, "distinct task ids the producer printed")
    check_stats(node, pending=count, processing=0, completed=0)

    workers = [ctx.start([*worker.worker, "--url", node.url, "--id", f"w{i}",
                          "--work-ms", "5", *IDLE_EXIT], f"{worker_language}-worker")
               for i in range(2)]
    results = [w.wait(timeout=60).expect_exit(0) for w in workers]

    # Each task done exactly once, by one of the two workers.
    done = [line.split()[0] for r in results for line in r.stdout.splitlines()
            if line.endswith("-> done")]
    check_equal(sorted(done), sorted(ids), "tasks the workers report done")
    check_stats(node, completed=count, pending=0, processing=0, failed=0,
                counters_acked=count, counters_expired=0)
    for n, task_id in enumerate(ids):
        task = get_json(f"{node.url}/tasks/{task_id}")
        check_equal(task["status"], "completed", f"status of {task_id}")
        check_equal(task["payload"], {"n": n, "from": producer_language}, f"payload of {task_id}")


def dead_letter(ctx, language):
    """fail rate 1.0 and max_retries 1: two failed attempts, then dead-lettered."""
    clients = Clients(ctx, language)
    node = queue_node(ctx)
    ids = produce(ctx, clients, node, "--count", "5", "--max-retries", "1")
    result = work(ctx, clients, node, "--fail-rate", "1")
    check_equal(result.stdout.count("-> failed, retry in"), 5, "first attempts that failed")
    check_equal(result.stdout.count("-> failed, dead-lettered"), 5, "tasks dead-lettered")
    check_stats(node, failed=5, pending=0, processing=0, completed=0,
                counters_retried=5, counters_dead_lettered=5, counters_acked=0)
    for task_id in ids:
        task = get_json(f"{node.url}/tasks/{task_id}")
        check_equal(task["status"], "failed", f"status of {task_id}")
        check_equal(task["attempt"], 2, f"attempts of {task_id}")
        check_equal(task.get("last_error"), "simulated failure", f"last error of {task_id}")


def idempotency(ctx, first_language, second_language):
    """Sending the same keys again (from either language) enqueues nothing new."""
    clients = Clients(ctx, first_language)
    again_clients = Clients(ctx, second_language)
    node = queue_node(ctx)
    key_args = ["--count", "5", "--idempotency-prefix", "order-"]
    first = produce(ctx, clients, node, *key_args)
    check_equal(len(set(first)), 5, "distinct ids on the first run")
    result = ctx.run([*again_clients.producer, "--url", node.url, *key_args], "producer-again")
    result.expect_exit(0)
    check_equal(result.stdout.count("exists "), 5, "tasks the second run found already there")
    again = re.findall(r"^exists +(t-\S+)", result.stdout, re.MULTILINE)
    check_equal(again, first, "ids on the second run")
    check_stats(node, pending=5, counters_enqueued=5)
    for n, task_id in enumerate(first):
        check_equal(get_json(f"{node.url}/tasks/{task_id}")["idempotency_key"], f"order-{n}",
                    f"key of {task_id}")


def errors(ctx, language):
    """What a learner sees when things go wrong: a clear line, no stack
    trace, a non-zero exit."""
    clients = Clients(ctx, language)

    def check_clean(result, *expected):
        for text in expected:
            check(text in result.stderr, f"stderr should contain {text!r}\n{result.describe()}")
        for trace in ("Traceback", "    at "):  # a Python or a Node.js stack trace
            check(trace not in result.stderr, f"stderr has a stack trace\n{result.describe()}")

    # Nobody listens: retry with backoff, say so, give up, exit 1.
    down = f"http://127.0.0.1:{harness.free_port()}"
    for program, name in ((clients.producer, "producer"), (clients.worker, "worker")):
        result = ctx.run([*program, "--url", down, "--give-up-after", "1"], f"{name}-down",
                         timeout=30).expect_exit(1)
        check_clean(result, f"cannot reach {down} (connection refused); retrying",
                    f"error: cannot reach {down}", "gave up after 1 s")

    # The node refuses a request: the node's JSON error is shown, exit 1.
    node = queue_node(ctx)
    result = ctx.run([*clients.producer, "--url", node.url, "--max-retries", "101"],
                     "producer-bad").expect_exit(1)
    check_clean(result, "POST /tasks answered 400", "bad_request", "out of range 0..100")
    result = ctx.run([*clients.worker, "--url", node.url, "--lease-ms", "5"],
                     "worker-bad").expect_exit(1)
    check_clean(result, "POST /tasks/lease answered 400", "bad_request", "lease_ms")
    check_stats(node, counters_enqueued=0, counters_leased=0)

    # A bad flag never reaches the node: exit 2.
    result = ctx.run([*clients.worker, "--fail-rate", "2"], "worker-flag").expect_exit(2)
    check("--fail-rate" in result.stderr, f"names the bad flag\n{result.describe()}")


def late_node(ctx, language):
    """A worker started before its node keeps retrying, then does the work."""
    clients = Clients(ctx, language)
    port = harness.free_port()
    url = f"http://127.0.0.1:{port}"
    worker = ctx.start([*clients.worker, "--url", url, "--max-tasks", "3", "--work-ms", "5",
                        "--give-up-after", "30"], f"{language}-worker")
    harness.poll_until(lambda: "retrying" in worker.output()[1], 20, "the worker to retry")
    node = queue_node(ctx, port)
    produce(ctx, clients, node, "--count", "3")
    result = worker.wait(timeout=60).expect_exit(0)
    check_equal(result.stdout.count("-> done"), 3, "tasks the worker reports done")
    check_stats(node, completed=3, pending=0, processing=0)


harness.main({
    "python_roundtrip": lambda ctx: roundtrip(ctx, "python", "python"),
    "ts_roundtrip": lambda ctx: roundtrip(ctx, "ts", "ts"),
    "python_producer_ts_worker": lambda ctx: roundtrip(ctx, "python", "ts"),
    "ts_producer_python_worker": lambda ctx: roundtrip(ctx, "ts", "python"),
    "python_dead_letter": lambda ctx: dead_letter(ctx, "python"),
    "ts_dead_letter": lambda ctx: dead_letter(ctx, "ts"),
    "python_idempotency": lambda ctx: idempotency(ctx, "python", "python"),
    "ts_idempotency": lambda ctx: idempotency(ctx, "ts", "ts"),
    "idempotency_across_languages": lambda ctx: idempotency(ctx, "python", "ts"),
    "python_errors": lambda ctx: errors(ctx, "python"),
    "ts_errors": lambda ctx: errors(ctx, "ts"),
    "python_late_node": lambda ctx: late_node(ctx, "python"),
    "ts_late_node": lambda ctx: late_node(ctx, "ts"),
})
