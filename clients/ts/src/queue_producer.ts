// Enqueue tasks on a dsc queue node (POST /tasks) and print one line per task.
//
//   node dist/queue_producer.js --count 50
//   node dist/queue_producer.js --count 3 --payload '{"email": "user{n}@example.com"}'
//   node dist/queue_producer.js --count 3 --idempotency-prefix order-   # twice: still 3
//
// Exit status: 0 when every task was accepted, 1 on an error (printed), 2
// for bad flags, 130 on Ctrl-C.

import { Flags } from "./cli.js";
import { DEFAULT_URL, QueueClient, QueueError, Unreachable } from "./queue_client.js";

function parseOptions() {
  const flags = Flags.parse("queue_producer.js", "Enqueue tasks on a dsc queue node.", [
    { name: "url", arg: "URL", help: "the queue node", default: DEFAULT_URL },
    { name: "count", arg: "N", help: "how many tasks", default: "10" },
    { name: "payload", arg: "JSON", help: "payload; every {n} becomes the task's number",
      default: '{"n": {n}}' },
    { name: "idempotency-prefix", arg: "PREFIX",
      help: "give task n the key PREFIXn, so running again adds no new tasks" },
    { name: "max-retries", arg: "N",
      help: "failed attempts retried before the task is dead-lettered (default: the node's)" },
    { name: "give-up-after", arg: "SECONDS", help: "keep retrying an unreachable node this long",
      default: "30" },
  ]);
  const payload = flags.text("payload")!;
  try { // check the template once, before anything is sent
    JSON.parse(payload.replaceAll("{n}", "0"));
  } catch (error) {
    flags.fail(`--payload is not JSON once {n} is replaced: ${(error as Error).message}`);
  }
  return {
    url: flags.text("url")!,
    count: flags.int("count", 0)!,
    payload,
    idempotencyPrefix: flags.text("idempotency-prefix"),
    maxRetries: flags.int("max-retries", 0),
    giveUpAfterS: flags.number("give-up-after", 0)!,
  };
}

async function main(): Promise<number> {
  const options = parseOptions();
  const client = new QueueClient(options.url, options.giveUpAfterS);
  let created = 0;
  let existing = 0;
  process.on("SIGINT", () => {
    console.error(`\ninterrupted after ${created + existing} of ${options.count} tasks`);
    process.exit(130);
  });
  const started = performance.now();
  try {
    for (let n = 0; n < options.count; n++) {
      const payload: unknown = JSON.parse(options.payload.replaceAll("{n}", String(n)));
      const prefix = options.idempotencyPrefix;
      const key = prefix === undefined ? undefined : `${prefix}${n}`;
      const { created: isNew, reply } = await client.enqueue(payload, key, options.maxRetries);
      if (isNew) {
        created++;
        console.log(`created ${reply.id} ${JSON.stringify(payload)}`);
      } else { // the node already had a task under this key: it is not enqueued twice
        existing++;
        console.log(`exists  ${reply.id} ${JSON.stringify(payload)} (key ${key} was used before)`);
      }
    }
  } catch (error) {
    if (!(error instanceof QueueError || error instanceof Unreachable)) throw error;
    console.error(`error: ${error.message}`);
    console.error(`stopped after ${created + existing} of ${options.count} tasks`);
    return 1;
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`${created + existing} tasks: ${created} created, ${existing} already there, ` +
              `in ${seconds.toFixed(2)} s`);
  return 0;
}

process.exitCode = await main();
