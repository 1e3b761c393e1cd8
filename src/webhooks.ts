import { createHmac, randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Bus, DomainEventName } from './bus.js';
import { redactUrl } from './config.js';

export interface WebhookOptions {
  url: string;
  secret: string;
  events: readonly DomainEventName[];
  maxAttempts: number;
  queueSize: number;
  timeoutMs: number;
  /** Delay before the second attempt; each later one doubles it. Default 1000. */
  retryBaseMs?: number;
  bus: Bus;
  log: FastifyBaseLogger;
}

interface Delivery {
  id: string;
  event: DomainEventName;
  body: string;
  attempt: number;
}

/** Sends this many requests at once at most. */
const concurrency = 4;

/** `sha256=` and the hex HMAC-SHA256 of `<timestamp>.<body>`: what X-Roomcast-Signature carries. */
export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * POSTs the chosen domain events to WEBHOOK_URL, signed. Works off a bounded queue with a few
 * requests in flight: a slow or dead receiver never delays chat. Failures are retried with
 * exponential backoff a bounded number of times, then dropped with a log line.
 */
export function startWebhooks(options: WebhookOptions) {
  const { log, maxAttempts } = options;
  const retryBaseMs = options.retryBaseMs ?? 1000;
  const queue: Delivery[] = [];
  const retries = new Set<NodeJS.Timeout>();
  const inFlight = new Set<AbortController>();
  let closed = false;

  function enqueue(delivery: Delivery): void {
    if (closed) return;
    if (queue.length >= options.queueSize) {
      log.warn({ webhook: delivery.id, event: delivery.event }, 'webhook queue full: event dropped');
      return;
    }
    queue.push(delivery);
    pump();
  }

  function pump(): void {
    while (!closed && inFlight.size < concurrency && queue.length > 0) {
      void send(queue.shift() as Delivery);
    }
  }

  async function send(delivery: Delivery): Promise<void> {
    const controller = new AbortController();
    inFlight.add(controller);
    const timer = setTimeout(() => controller.abort(), options.timeoutMs);
    const timestamp = String(Date.now());
    let failure: string | undefined;
    try {
      const res = await fetch(options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-roomcast-event': delivery.event,
          'x-roomcast-delivery': delivery.id,
          'x-roomcast-timestamp': timestamp,
          'x-roomcast-signature': signature(options.secret, timestamp, delivery.body),
        },
        body: delivery.body,
        signal: controller.signal,
        // A receiver's redirect must not send signed events to wherever it points: a 3xx is a
        // failed attempt like any other non-2xx.
        redirect: 'manual',
      });
      await res.body?.cancel();
      if (!res.ok) failure = `HTTP ${res.status}`;
    } catch (err) {
      failure = controller.signal.aborted ? 'timed out' : String((err as Error).cause ?? err);
    } finally {
      clearTimeout(timer);
      inFlight.delete(controller);
    }
    if (failure !== undefined && !closed) retry(delivery, failure);
    pump();
  }

  function retry(delivery: Delivery, failure: string): void {
    const context = { webhook: delivery.id, event: delivery.event, attempt: delivery.attempt, failure };
    if (delivery.attempt >= maxAttempts) {
      log.warn(context, 'webhook failed for good: event dropped');
      return;
    }
    const delay = retryBaseMs * 2 ** (delivery.attempt - 1) * (0.75 + Math.random() * 0.5);
    log.info({ ...context, retryInMs: Math.round(delay) }, 'webhook failed: will retry');
    const timer = setTimeout(() => {
      retries.delete(timer);
      enqueue({ ...delivery, attempt: delivery.attempt + 1 });
    }, delay);
    retries.add(timer);
  }

  log.info({ url: redactUrl(options.url), events: options.events }, 'webhooks on');
  for (const event of options.events) {
    options.bus.on(event, (data) => {
      const id = randomUUID();
      enqueue({ id, event, attempt: 1, body: JSON.stringify({ id, event, ts: Date.now(), data }) });
    });
  }

  return {
    /** Events waiting to be sent: queued, or waiting to retry. */
    depth: () => queue.length + retries.size,
    /** Stops sending; what is still queued or waiting to retry is dropped and counted in the log. */
    close(): void {
      if (closed) return;
      closed = true;
      const dropped = queue.length + retries.size + inFlight.size;
      for (const timer of retries) clearTimeout(timer);
      for (const controller of inFlight) controller.abort();
      if (dropped > 0) log.warn({ dropped }, 'webhooks not delivered at shutdown');
    },
  };
}
