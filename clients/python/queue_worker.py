"""A worker for a dsc queue node: lease a task, "work" on it, ack or fail it.

    .venv/bin/python queue_worker.py                          # until Ctrl-C
    .venv/bin/python queue_worker.py --fail-rate 0.3 --idle-exit 5

One line per task. Exit status: 0 when it stopped by itself (--max-tasks or
--idle-exit), 1 on an error (printed), 2 for bad flags, 130 on Ctrl-C.
"""

import argparse
import json
import os
import random
import sys
import time

from queue_client import DEFAULT_URL, QueueClient, QueueError, Unreachable


def parse_args():
    parser = argparse.ArgumentParser(description="Work on tasks from a dsc queue node.")
    parser.add_argument("--url", default=DEFAULT_URL, help="the queue node (default: %(default)s)")
    parser.add_argument("--id", metavar="NAME", default=f"py-{os.getpid()}",
                        help="the worker name the leases carry (default: py-PID)")
    parser.add_argument("--lease-ms", metavar="MS", type=int, default=30_000,
                        help="how long a lease lasts (default: %(default)s)")
    parser.add_argument("--wait-ms", metavar="MS", type=int, default=5_000,
                        help="long-poll: how long one lease request waits for a task "
                             "(0..30000, default: %(default)s)")
    parser.add_argument("--work-ms", metavar="MS", type=int, default=100,
                        help="simulated work per task (default: %(default)s)")
    parser.add_argument("--fail-rate", metavar="RATE", type=float, default=0.0,
                        help="share of attempts that fail, 0..1 (default: %(default)s)")
    parser.add_argument("--max-tasks", metavar="N", type=int, default=0,
                        help="stop after this many tasks (default: 0, never)")
    parser.add_argument("--idle-exit", type=float, default=0, metavar="SECONDS",
                        help="stop when no task came for this long (default: 0, never)")
    parser.add_argument("--give-up-after", type=float, default=30, metavar="SECONDS",
                        help="keep retrying an unreachable node this long (default: %(default)s)")
    args = parser.parse_args()
    if not 0 <= args.fail_rate <= 1:
        parser.error("--fail-rate must be between 0 and 1")
    if not 0 <= args.wait_ms <= 30_000:
        parser.error("--wait-ms must be between 0 and 30000")
    return args


def work_on(client, args, task):
    """Works on one leased task and reports the outcome: done, failed or lost."""
    head = f"{task['id']} attempt {task['attempt']} {json.dumps(task['payload'])}"
    time.sleep(args.work_ms / 1000)  # the "work"
    try:
        if random.random() >= args.fail_rate:
            client.ack(task["id"], args.id)
            print(f"{head} -> done", flush=True)
            return "done"
        reply = client.fail(task["id"], args.id, "simulated failure")
        if reply["status"] == "failed":
            print(f"{head} -> failed, dead-lettered (no retries left)", flush=True)
        else:
            retry_in_ms = max(0, reply["retry_at_ms"] - int(time.time() * 1000))
            print(f"{head} -> failed, retry in {retry_in_ms} ms", flush=True)
        return "failed"
    except QueueError as error:
        if error.status != 409:
            raise
        # Our lease ran out before we answered: the task went back to the
        # queue and may already run elsewhere. The node refuses our late answer:
        # only the worker holding the current lease can complete or fail it.
        print(f"{head} -> lease lost: {error}", flush=True)
        return "lost"


def main():
    args = parse_args()
    client = QueueClient(args.url, args.give_up_after)
    counts = {"done": 0, "failed": 0, "lost": 0}
    last_task = time.monotonic()
    print(f"worker {args.id}: working for {args.url}", flush=True)
    try:
        while args.max_tasks == 0 or sum(counts.values()) < args.max_tasks:
            wait_ms = args.wait_ms
            if args.idle_exit:
                idle_left = args.idle_exit - (time.monotonic() - last_task)
                if idle_left <= 0:
                    print(f"worker {args.id}: no task for {args.idle_exit:g} s, stopping")
                    break
                wait_ms = min(wait_ms, int(idle_left * 1000) + 1)
            try:
                # Long poll: the node holds the request until a task is ready
                # or wait_ms passes, so an idle worker sends few requests.
                task = client.lease(args.id, args.lease_ms, wait_ms)
            except QueueError as error:
                if error.status != 503:
                    raise  # the node refuses the request itself: asking again won't help
                print(f"node unavailable (503), retrying: {error.body}", file=sys.stderr)
                time.sleep(1)
                continue
            if task is None:
                continue  # nothing to do yet: ask again
            last_task = time.monotonic()
            counts[work_on(client, args, task)] += 1
    except (QueueError, Unreachable) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        # A task in hand is neither acked nor failed: it comes back to the
        # queue when its lease runs out, and another worker does it.
        print(f"\nworker {args.id}: interrupted", file=sys.stderr)
        return 130
    print(f"worker {args.id}: stopped: {counts['done']} done, {counts['failed']} failed, "
          f"{counts['lost']} lost")
    return 0


if __name__ == "__main__":
    sys.exit(main())
