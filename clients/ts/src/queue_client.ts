// A small client for the dsc work queue's HTTP API (docs/DESIGN.md, "Queue").
//
// queue_producer.ts and queue_worker.ts share it. Every method is one HTTP
// request; the interesting part is what happens when a request fails:
//
// * The node answered with an error (4xx/5xx): throw QueueError, which
//   carries the node's JSON error ({"error": CODE, "message": TEXT}).
// * The node could not be reached at all (connection refused: it is down or
//   restarting): the request never left this machine, so sending it again
//   is always safe. Retry with exponential backoff until giveUpAfterS.
// * The connection broke or timed out after the request was sent: the node
//   may or may not have acted on it. Retry only requests that are safe to
//   repeat (idempotent); otherwise throw Unreachable and let the caller decide.

import { setTimeout as sleep } from "node:timers/promises";

export const DEFAULT_URL = "http://127.0.0.1:7000";

// The node answered with an HTTP error status.
export class QueueError extends Error {
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

// No answer from the node (down, restarting, or the connection broke).
export class Unreachable extends Error {}

export interface Task {
  id: string;
  payload: unknown;
  attempt: number; // 1 for the first lease, 2 for the first retry...
  lease_expires_ms: number;
}

export interface TaskReply {
  id: string;
  status: "pending" | "processing" | "completed" | "failed";
  retry_at_ms?: number; // after a fail that will be retried
}

// fetch() rejects with a TypeError whose `cause` names the socket error.
// A refused connection means the node cannot have seen the request.
function neverSent(error: unknown): boolean {
  const code = (error as { cause?: { code?: string } }).cause?.code;
  return code === "ECONNREFUSED";
}

// What went wrong, in a few words: "connection refused", "timed out"...
function describe(error: unknown): string {
  if (neverSent(error)) return "connection refused";
  if ((error as Error).name === "TimeoutError") return "timed out";
  return (error as { cause?: Error }).cause?.message ?? (error as Error).message;
}

// The reply's JSON (null for an empty body, as in 204). An error status,
// or a body that is not JSON (not a dsc node?), becomes a QueueError.
function decode<T>(status: number, text: string, method: string, path: string): T | null {
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    throw new QueueError(status, text, method, path);
  }
  if (status >= 400) throw new QueueError(status, json, method, path);
  return json as T;
}

export class QueueClient {
  readonly url: string;

  constructor(
    url = DEFAULT_URL,
    private readonly giveUpAfterS = 30, // seconds of retrying before Unreachable
  ) {
    this.url = url.replace(/\/+$/, "");
  }

  // POST /tasks. `created` is false when the idempotency key already named
  // a task (the node answers 200, not 201).
  async enqueue(
    payload: unknown,
    idempotencyKey?: string,
    maxRetries?: number,
  ): Promise<{ created: boolean; reply: TaskReply }> {
    const body = { payload, idempotency_key: idempotencyKey, max_retries: maxRetries };
    // Without a key, a repeat after a lost answer could enqueue twice.
    const { status, reply } = await this.request<TaskReply>("POST", "/tasks", body, {
      safeToRepeat: idempotencyKey !== undefined,
    });
    return { created: status === 201, reply: reply! };
  }

  // POST /tasks/lease: a task, or null if none came within waitMs.
  // Safe to repeat: a lease whose answer we lost simply runs out.
  async lease(worker: string, leaseMs: number, waitMs: number): Promise<Task | null> {
    const body = { worker, lease_ms: leaseMs, wait_ms: waitMs };
    const { reply } = await this.request<Task>("POST", "/tasks/lease", body, {
      safeToRepeat: true,
      timeoutMs: waitMs + 10_000,
    });
    return reply; // null for 204: no task
  }

  // POST /tasks/{id}/ack: the task is done. A repeat is answered 409.
  async ack(taskId: string, worker: string): Promise<TaskReply> {
    const path = `/tasks/${encodeURIComponent(taskId)}/ack`;
    const { reply } = await this.request<TaskReply>("POST", path, { worker }, { safeToRepeat: true });
    return reply!;
  }

  // POST /tasks/{id}/fail: the node retries the task later, or
  // dead-letters it (status "failed") once its retries are used up.
  async fail(taskId: string, worker: string, error: string): Promise<TaskReply> {
    const path = `/tasks/${encodeURIComponent(taskId)}/fail`;
    const body = { worker, error };
    return (await this.request<TaskReply>("POST", path, body, { safeToRepeat: true })).reply!;
  }

  async stats(): Promise<Record<string, unknown>> {
    const { reply } = await this.request<Record<string, unknown>>("GET", "/stats", undefined, {
      safeToRepeat: true,
    });
    return reply!;
  }

  // Sends one request; returns the status and the JSON reply (null if none).
  private async request<T>(
    method: string,
    path: string,
    body: object | undefined,
    { safeToRepeat, timeoutMs = 10_000 }: { safeToRepeat: boolean; timeoutMs?: number },
  ): Promise<{ status: number; reply: T | null }> {
    let delayMs = 200;
    const deadline = Date.now() + this.giveUpAfterS * 1000;
    for (;;) {
      let why: string;
      try {
        const response = await fetch(this.url + path, {
          method,
          headers: body ? { "content-type": "application/json" } : {},
          body: body ? JSON.stringify(body) : undefined, // drops undefined fields
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await response.text(); // the answer can still be lost on the way
        return { status: response.status, reply: decode<T>(response.status, text, method, path) };
      } catch (error) {
        if (error instanceof QueueError) throw error;
        why = describe(error);
        if (!neverSent(error) && !safeToRepeat) {
          throw new Unreachable(`${method} ${path}: no answer from ${this.url} (${why}); ` +
                                "the node may or may not have done it");
        }
      }
      if (Date.now() + delayMs > deadline) {
        throw new Unreachable(
          `cannot reach ${this.url} (${why}); gave up after ${this.giveUpAfterS} s`,
        );
      }
      const seconds = (delayMs / 1000).toFixed(1);
      console.error(`cannot reach ${this.url} (${why}); retrying in ${seconds} s`);
      await sleep(delayMs);
      delayMs = Math.min(delayMs * 2, 5_000); // back off, so a restarting node is not hammered
    }
  }
}
