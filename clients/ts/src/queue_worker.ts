// A worker for a dsc queue node: lease a task, "work" on it, ack or fail it.
//
//   node dist/queue_worker.js                          # until Ctrl-C
//   node dist/queue_worker.js --fail-rate 0.3 --idle-exit 5
//
// One line per task. Exit status: 0 when it stopped by itself (--max-tasks
// or --idle-exit), 1 on an error (printed), 2 for bad flags, 130 on Ctrl-C.

import { setTimeout as sleep } from "node:timers/promises";

import { Flags } from "./cli.js";
import { DEFAULT_URL, QueueClient, QueueError, Task, Unreachable } from "./queue_client.js";

type Options = ReturnType<typeof parseOptions>;
type Outcome = "done" | "failed" | "lost";

function parseOptions() {
  const flags = Flags.parse("queue_worker.js", "Work on tasks from a dsc queue node.", [
    { name: "url", arg: "URL", help: "the queue node", default: DEFAULT_URL },
    { name: "id", arg: "NAME", help: "the worker name the leases carry",
      default: `ts-${process.pid}` },
    { name: "lease-ms", arg: "MS", help: "how long a lease lasts", default: "30000" },
    { name: "wait-ms", arg: "MS", help: "long-poll: how long one lease request waits (0..30000)",
      default: "5000" },
    { name: "work-ms", arg: "MS", help: "simulated work per task", default: "100" },
    { name: "fail-rate", arg: "RATE", help: "share of attempts that fail, 0..1", default: "0" },
    { name: "max-tasks", arg: "N", help: "stop after this many tasks, 0 for never", default: "0" },
    { name: "idle-exit", arg: "SECONDS", help: "stop when no task came for this long, 0 for never",
      default: "0" },
    { name: "give-up-after", arg: "SECONDS", help: "keep retrying an unreachable node this long",
      default: "30" },
  ]);
  return {
    url: flags.text("url")!,
    id: flags.text("id")!,
    leaseMs: flags.int("lease-ms", 1)!,
    waitMs: flags.int("wait-ms", 0, 30_000)!,
    workMs: flags.int("work-ms", 0)!,
    failRate: flags.number("fail-rate", 0, 1)!,
    maxTasks: flags.int("max-tasks", 0)!,
    idleExitS: flags.number("idle-exit", 0)!,
    giveUpAfterS: flags.number("give-up-after", 0)!,
  };
}

// Works on one leased task and reports the outcome.
async function workOn(client: QueueClient, options: Options, task: Task): Promise<Outcome> {
  const head = `${task.id} attempt ${task.attempt} ${JSON.stringify(task.payload)}`;
  await sleep(options.workMs); // the "work"
  try {
    if (Math.random() >= options.failRate) {
      await client.ack(task.id, options.id);
      console.log(`${head} -> done`);
      return "done";
    }
    const reply = await client.fail(task.id, options.id, "simulated failure");
    if (reply.status === "failed") {
      console.log(`${head} -> failed, dead-lettered (no retries left)`);
    } else {
      const retryInMs = Math.max(0, (reply.retry_at_ms ?? 0) - Date.now());
      console.log(`${head} -> failed, retry in ${retryInMs} ms`);
    }
    return "failed";
  } catch (error) {
    if (!(error instanceof QueueError && error.status === 409)) throw error;
    // Our lease ran out before we answered: the task went back to the
    // queue and may already run elsewhere. The node refuses our late answer:
    // only the worker holding the current lease can complete or fail it.
    console.log(`${head} -> lease lost: ${error.message}`);
    return "lost";
  }
}

async function main(): Promise<number> {
  const options = parseOptions();
  const client = new QueueClient(options.url, options.giveUpAfterS);
  const counts: Record<Outcome, number> = { done: 0, failed: 0, lost: 0 };
  process.on("SIGINT", () => {
    // A task in hand is neither acked nor failed: it comes back to the
    // queue when its lease runs out, and another worker does it.
    console.error(`\nworker ${options.id}: interrupted`);
    process.exit(130);
  });
  let lastTask = Date.now();
  console.log(`worker ${options.id}: working for ${options.url}`);
  try {
    const handled = () => counts.done + counts.failed + counts.lost;
    while (options.maxTasks === 0 || handled() < options.maxTasks) {
      let waitMs = options.waitMs;
      if (options.idleExitS > 0) {
        const idleLeftMs = options.idleExitS * 1000 - (Date.now() - lastTask);
        if (idleLeftMs <= 0) {
          console.log(`worker ${options.id}: no task for ${options.idleExitS} s, stopping`);
          break;
        }
        waitMs = Math.min(waitMs, Math.ceil(idleLeftMs));
      }
      let task: Task | null;
      try {
        // Long poll: the node holds the request until a task is ready or
        // waitMs passes, so an idle worker sends few requests.
        task = await client.lease(options.id, options.leaseMs, waitMs);
      } catch (error) {
        // Anything but 503 means the node refuses the request itself:
        // asking again won't help.
        if (!(error instanceof QueueError && error.status === 503)) throw error;
        console.error(`node unavailable (503), retrying: ${JSON.stringify(error.body)}`);
        await sleep(1000);
        continue;
      }
      if (task === null) continue; // nothing to do yet: ask again
      lastTask = Date.now();
      counts[await workOn(client, options, task)]++;
    }
  } catch (error) {
    if (!(error instanceof QueueError || error instanceof Unreachable)) throw error;
    console.error(`error: ${error.message}`);
    return 1;
  }
  console.log(`worker ${options.id}: stopped: ${counts.done} done, ${counts.failed} failed, ` +
              `${counts.lost} lost`);
  return 0;
}

process.exitCode = await main();
