// A leader-following client for the dsc Raft KV store (docs/DESIGN.md, "Raft"),
// and a tiny command line around it.
//
//   node dist/raft_client.js put color blue
//   node dist/raft_client.js get color
//   node dist/raft_client.js get color --stale --url http://127.0.0.1:7403
//   node dist/raft_client.js cas color blue green
//   node dist/raft_client.js cas --absent shape circle
//   node dist/raft_client.js delete color
//
// Only the leader serves reads and writes. The client may start at any node
// (--url, one or more, comma-separated or repeated) and finds the leader:
//
// * 421 not_leader: the node names the leader (leader_url) when it knows
//   one; go there at once. When it does not (an election is on), wait a
//   little and try the next node of the list.
// * No answer (the node is down, or the hint names a host this machine
//   cannot reach): try the next node of the list.
// * 503: the node could not tell whether the write happened (it may still
//   commit). Send the same write again.
//
// Sending a write again is safe because every write carries this client's
// id and a sequence number (?client=ID&seq=N). The cluster applies each
// (client, seq) at most once; a repeat is answered with the first outcome
// and "duplicate": true.
//
// Exit status: 0 done, 1 an error (printed), 2 a bad flag, 3 the key is
// absent (get) or the compare-and-swap did not swap (cas), 130 on Ctrl-C.

import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

export const DEFAULT_URLS = ["http://127.0.0.1:7401"];

// A node answered with an error that retrying cannot fix (400, 413...).
export class RaftError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown, // the node's JSON error, or the raw text if not JSON
    method: string,
    path: string,
  ) {
    const shown = typeof body === "string" ? body : JSON.stringify(body);
    super(`${method} ${path} answered ${status}: ${shown}`);
  }
}

// No leader answered within giveUpAfterS seconds.
export class Unreachable extends Error {}

export interface WriteReply {
  key: string;
  index: number; // the log entry that did it (for a duplicate: the first attempt's)
  duplicate?: boolean; // an earlier attempt of this write had already been applied
}
export interface ReadReply {
  key: string;
  value: string;
  index: number;
  stale?: boolean;
}
export interface DeleteReply extends WriteReply {
  deleted: boolean; // false when the key was already absent
}
export interface CasRefused {
  value: string | null; // the current value (null: absent)
}

export interface RaftClientOptions {
  timeoutMs?: number; // per request; the node itself answers 503 after 5 s
  giveUpAfterS?: number; // for one call, before Unreachable
  clientId?: string;
  firstSeq?: number;
  log?: (line: string) => void;
}

// fetch() rejects with a TypeError whose `cause` names the socket error.
// A refused connection or an unknown host means the node never saw it.
function errorCode(error: unknown): string | undefined {
  return (error as { cause?: { code?: string } }).cause?.code;
}

// What went wrong, in a few words.
function describe(error: unknown): string {
  const code = errorCode(error);
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "unknown host";
  if ((error as Error).name === "TimeoutError") return "no answer in time";
  return (error as { cause?: Error }).cause?.message ?? (error as Error).message;
}

function jsonOf(text: string): unknown {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return text;
  }
}

// Keys are 1..1024 bytes without '/'; anything else is escaped here and
// refused by the node with a 400 or 404.
function keyPath(key: string): string {
  return `/kv/${encodeURIComponent(key)}`;
}

interface Answer {
  status: number;
  body: unknown;
}

// Not safe for concurrent calls: it keeps the leader it found and the
// sequence number of its last write.
export class RaftClient {
  readonly urls: string[];
  readonly clientId: string;
  private readonly timeoutMs: number;
  private readonly giveUpAfterS: number;
  private readonly log: (line: string) => void;
  private nextSeq: number;
  private leader: string | null = null; // the URL that last served us
  private nextNode = 0; // where in this.urls to try next

  constructor(urls: string[] = DEFAULT_URLS, options: RaftClientOptions = {}) {
    this.urls = urls.map((url) => url.replace(/\/+$/, ""));
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.giveUpAfterS = options.giveUpAfterS ?? 30;
    // A random id is unique enough: two clients sharing one would see each
    // other's writes as duplicates.
    this.clientId = options.clientId ?? `ts-${randomBytes(6).toString("hex")}`;
    this.nextSeq = options.firstSeq ?? 1;
    this.log = options.log ?? (() => {});
  }

  // ANCHOR: put
  // PUT /kv/{key}. `duplicate` is true when an earlier attempt of this same
  // write had already been applied.
  async put(key: string, value: string): Promise<WriteReply> {
    const answer = await this.send("PUT", keyPath(key), value, { write: true });
    return this.reply<WriteReply>(answer, "PUT", key);
  }
  // ANCHOR_END: put

  // GET /kv/{key}, or null when absent. `stale` reads whichever node answers
  // first, without following the leader, and may miss the latest writes.
  async get(key: string, stale = false): Promise<ReadReply | null> {
    const answer = stale ? await this.getStale(key) : await this.send("GET", keyPath(key));
    if (answer.status === 404) return null;
    return this.reply<ReadReply>(answer, "GET", key);
  }

  // DELETE /kv/{key}; `deleted` is false when the key was already absent.
  async delete(key: string): Promise<DeleteReply> {
    const answer = await this.send("DELETE", keyPath(key), undefined, { write: true });
    return this.reply<DeleteReply>(answer, "DELETE", key);
  }

  // POST /kv/{key}/cas: sets key to value only if its current value is
  // `expected` (null: only if the key is absent).
  async cas(
    key: string,
    expected: string | null,
    value: string,
  ): Promise<{ swapped: true; reply: WriteReply } | { swapped: false; reply: CasRefused }> {
    const body = JSON.stringify({ expected, value });
    const answer = await this.send("POST", `${keyPath(key)}/cas`, body, {
      write: true,
      json: true,
    });
    if (answer.status === 412) return { swapped: false, reply: answer.body as CasRefused };
    return { swapped: true, reply: this.reply<WriteReply>(answer, "POST", `${key}/cas`) };
  }

  // ANCHOR: follow_leader
  // Sends one request to the leader, wherever it is, and returns the answer
  // (any status except 421 and 503, which are handled here). A write gets
  // its (client, seq) once: every attempt repeats it.
  private async send(
    method: string,
    path: string,
    body?: string,
    { write = false, json = false } = {},
  ): Promise<Answer> {
    let query = "";
    if (write) query = `?client=${encodeURIComponent(this.clientId)}&seq=${this.nextSeq++}`;
    let url = this.leader ?? this.next();
    let followed = new Set<string>(); // hints followed since the last pause (no ping-pong)
    let delayMs = 50;
    const deadline = Date.now() + this.giveUpAfterS * 1000;
    for (;;) {
      let why: string;
      let urlNext: string;
      try {
        const response = await fetch(url + path + query, {
          method,
          headers: json ? { "content-type": "application/json" } : {},
          body,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        const answer = { status: response.status, body: jsonOf(await response.text()) };
        const error = answer.body as { leader_url?: string | null; message?: string } | null;
        if (answer.status === 421) {
          const hint = error?.leader_url;
          if (hint && !followed.has(hint)) {
            this.log(`${url} is not the leader; following it to ${hint}`);
            followed.add(hint);
            url = hint;
            continue;
          }
          why = `not the leader, and ${hint ? `points back to ${hint}` : "knows none"}`;
          urlNext = this.next(url);
        } else if (answer.status === 503) {
          // Outcome unknown: the write may still commit. Ask again, with
          // the same seq, so it is applied at most once.
          why = `503 ${error?.message}`;
          urlNext = url;
        } else {
          this.leader = url;
          return answer;
        }
      } catch (error) {
        // A write may have reached the node; the same seq makes a repeat
        // safe, so move on to the next node either way.
        why = describe(error);
        urlNext = this.next(url);
      }
      this.leader = null;
      if (Date.now() + delayMs > deadline) {
        throw new Unreachable(`${method} ${path}: no leader answered (${url}: ${why}); ` +
                              `gave up after ${this.giveUpAfterS} s`);
      }
      this.log(`${url}: ${why}; retrying at ${urlNext} in ${(delayMs / 1000).toFixed(2)} s`);
      await sleep(delayMs);
      delayMs = Math.min(delayMs * 2, 1_000); // an election takes about a second
      url = urlNext;
      followed = new Set();
    }
  }
  // ANCHOR_END: follow_leader

  // The next URL of the list, round robin (after `after` if it is one).
  private next(after?: string): string {
    const at = after === undefined ? -1 : this.urls.indexOf(after);
    if (at >= 0) this.nextNode = at + 1;
    const url = this.urls[this.nextNode % this.urls.length]!;
    this.nextNode = (this.nextNode + 1) % this.urls.length;
    return url;
  }

  // A stale read asks the first node of the list that answers.
  private async getStale(key: string): Promise<Answer> {
    let lastError = "";
    for (const url of this.urls) {
      try {
        const response = await fetch(`${url}${keyPath(key)}?stale=true`, {
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        return { status: response.status, body: jsonOf(await response.text()) };
      } catch (error) {
        lastError = `${url}: ${describe(error)}`;
        this.log(`${lastError}; trying the next node`);
      }
    }
    throw new Unreachable(`GET ${keyPath(key)}?stale=true: no node answered (${lastError})`);
  }

  private reply<T>(answer: Answer, method: string, what: string): T {
    if (answer.status >= 400 || typeof answer.body !== "object" || answer.body === null) {
      throw new RaftError(answer.status, answer.body, method, `/kv/${what}`);
    }
    return answer.body as T;
  }
}

// --- the command line ----------------------------------------------------------

const USAGE = `usage: node dist/raft_client.js [options] COMMAND

Read and write the dsc Raft KV store through its leader.

commands:
  put KEY VALUE                 set a value
  get KEY [--stale]             read a value (--stale: the first node's copy,
                                leader or not; may be out of date)
  cas KEY EXPECTED VALUE        set VALUE only if the value is EXPECTED
  cas --absent KEY VALUE        set VALUE only if KEY does not exist
  delete KEY                    delete a key

options:
  --url URL[,URL...]            nodes to start from, comma-separated or repeated
                                (default: ${DEFAULT_URLS[0]})
  --timeout SECONDS             wait this long for one answer (default: 10)
  --give-up-after SECONDS       keep looking for a leader this long (default: 30)
  --client ID                   the client id writes carry (default: a random one)
  --seq N                       the sequence number of this write (default: 1); send
                                the same --client and --seq twice and the second is
                                a duplicate
  --quiet                       do not say how the leader was found
  -h, --help                    show this help and exit`;

function usageError(message: string): never {
  console.error(`raft_client.js: error: ${message} (see: node dist/raft_client.js --help)`);
  process.exit(2);
}

function parseCommandLine() {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        url: { type: "string", multiple: true },
        timeout: { type: "string", default: "10" },
        "give-up-after": { type: "string", default: "30" },
        client: { type: "string" },
        seq: { type: "string" },
        quiet: { type: "boolean", default: false },
        stale: { type: "boolean", default: false },
        absent: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    return usageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const urls = (values.url ?? DEFAULT_URLS).flatMap((flag) => flag.split(",")).filter((u) => u);
  if (urls.length === 0) usageError("--url needs at least one URL");
  const timeoutS = Number(values.timeout);
  const giveUpAfterS = Number(values["give-up-after"]);
  if (!(timeoutS > 0) || !(giveUpAfterS >= 0)) {
    usageError("--timeout must be > 0 and --give-up-after >= 0");
  }
  const seq = values.seq === undefined ? undefined : Number(values.seq);
  if (seq !== undefined && (!Number.isInteger(seq) || seq < 1 || values.client === undefined)) {
    usageError("--seq needs --client, and must be 1 or more");
  }

  const [command, ...args] = positionals;
  const wanted: Record<string, number> = { put: 2, get: 1, delete: 1, cas: values.absent ? 2 : 3 };
  if (command === undefined || !(command in wanted)) {
    usageError(`COMMAND must be one of put, get, cas, delete (got ${command ?? "nothing"})`);
  }
  if (args.length !== wanted[command]) {
    const shapes: Record<string, string> = {
      put: "put KEY VALUE", get: "get KEY", delete: "delete KEY",
      cas: values.absent ? "cas --absent KEY VALUE" : "cas KEY EXPECTED VALUE",
    };
    usageError(`expected: ${shapes[command]}`);
  }
  if (values.stale && command !== "get") usageError("--stale goes with get only");
  if (values.absent && command !== "cas") usageError("--absent goes with cas only");
  return { command, args, values, urls, timeoutS, giveUpAfterS, seq };
}

async function main(): Promise<number> {
  const { command, args, values, urls, timeoutS, giveUpAfterS, seq } = parseCommandLine();
  const client = new RaftClient(urls, {
    timeoutMs: timeoutS * 1000,
    giveUpAfterS,
    clientId: values.client,
    firstSeq: seq,
    log: values.quiet ? undefined : (line) => console.error(line),
  });
  process.on("SIGINT", () => {
    console.error("\ninterrupted");
    process.exit(130);
  });
  const key = args[0]!;
  try {
    if (command === "put") {
      const value = args[1]!;
      const reply = await client.put(key, value);
      if (reply.duplicate) {
        console.log(`put ${key}: a duplicate, already applied at index ${reply.index} ` +
                    "(this attempt changed nothing)");
      } else {
        console.log(`put ${key} = ${JSON.stringify(value)} at index ${reply.index}`);
      }
    } else if (command === "get") {
      const reply = await client.get(key, values.stale);
      if (reply === null) {
        console.log(`${key} is absent`);
        return 3;
      }
      const note = reply.stale ? ", stale read" : "";
      console.log(`${key} = ${JSON.stringify(reply.value)} (index ${reply.index}${note})`);
    } else if (command === "cas") {
      const value = args[args.length - 1]!;
      const outcome = await client.cas(key, values.absent ? null : args[1]!, value);
      if (!outcome.swapped) {
        const current = outcome.reply.value;
        const shown = current === null ? "absent" : JSON.stringify(current);
        console.log(`not swapped: ${key} is ${shown}`);
        return 3;
      }
      const { index, duplicate } = outcome.reply;
      const note = duplicate ? " (duplicate)" : "";
      console.log(`swapped ${key} to ${JSON.stringify(value)} at index ${index}${note}`);
    } else {
      const reply = await client.delete(key);
      const what = reply.deleted ? "deleted" : "was already absent:";
      const note = reply.duplicate ? " (duplicate)" : "";
      console.log(`${what} ${key} at index ${reply.index}${note}`);
    }
  } catch (error) {
    if (!(error instanceof RaftError || error instanceof Unreachable)) throw error;
    console.error(`error: ${error.message}`);
    return 1;
  }
  return 0;
}

// Run the command line only when this file is the program, not when a
// script imports RaftClient from it.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main();
}
