"""Enqueue tasks on a dsc queue node (POST /tasks) and print one line per task.

    .venv/bin/python queue_producer.py --count 50
    .venv/bin/python queue_producer.py --count 3 --payload '{"email": "user{n}@example.com"}'
    .venv/bin/python queue_producer.py --count 3 --idempotency-prefix order-   # twice: still 3

Exit status: 0 when every task was accepted, 1 on an error (printed), 2 for
bad flags, 130 on Ctrl-C.
"""

import argparse
import json
import sys
import time

from queue_client import DEFAULT_URL, QueueClient, QueueError, Unreachable


def parse_args():
    parser = argparse.ArgumentParser(description="Enqueue tasks on a dsc queue node.")
    parser.add_argument("--url", default=DEFAULT_URL, help="the queue node (default: %(default)s)")
    parser.add_argument("--count", metavar="N", type=int, default=10,
                        help="how many tasks (default: %(default)s)")
    parser.add_argument("--payload", metavar="JSON", default='{"n": {n}}',
                        help="JSON payload; every {n} becomes the task's number "
                             "(default: %(default)s)")
    parser.add_argument("--idempotency-prefix", metavar="PREFIX",
                        help="give task n the key PREFIXn, so running again adds no new tasks")
    parser.add_argument("--max-retries", metavar="N", type=int,
                        help="failed attempts retried before the task is dead-lettered "
                             "(default: the node's)")
    parser.add_argument("--give-up-after", type=float, default=30, metavar="SECONDS",
                        help="keep retrying an unreachable node this long (default: %(default)s)")
    args = parser.parse_args()
    try:  # check the template once, before anything is sent
        json.loads(args.payload.replace("{n}", "0"))
    except json.JSONDecodeError as error:
        parser.error(f"--payload is not JSON once {{n}} is replaced: {error}")
    return args


def main():
    args = parse_args()
    client = QueueClient(args.url, args.give_up_after)
    created = existing = 0
    started = time.monotonic()
    try:
        for n in range(args.count):
            payload = json.loads(args.payload.replace("{n}", str(n)))
            key = f"{args.idempotency_prefix}{n}" if args.idempotency_prefix else None
            new, reply = client.enqueue(payload, key, args.max_retries)
            if new:
                created += 1
                print(f"created {reply['id']} {json.dumps(payload)}", flush=True)
            else:  # the node already had a task under this key: it is not enqueued twice
                existing += 1
                print(f"exists  {reply['id']} {json.dumps(payload)} (key {key} was used before)",
                      flush=True)
    except (QueueError, Unreachable) as error:
        print(f"error: {error}", file=sys.stderr)
        print(f"stopped after {created + existing} of {args.count} tasks", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\ninterrupted after {created + existing} of {args.count} tasks", file=sys.stderr)
        return 130
    seconds = time.monotonic() - started
    print(f"{created + existing} tasks: {created} created, {existing} already there, "
          f"in {seconds:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
