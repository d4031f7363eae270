import { isDeepStrictEqual } from 'node:util';
import { connect } from 'nats';
import type { Target } from './systems/types';

/**
 * One call before measuring: the system must answer with the right status and body. A 503 (the
 * service instance is still subscribing) is retried for a few seconds; anything else wrong throws.
 */
export async function checkAnswer(target: Target, patienceMs = 8000): Promise<void> {
  if (target.kind === 'nats') return checkNats(target);
  const deadline = Date.now() + patienceMs;
  for (;;) {
    const response = await fetch(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...target.headers },
      body: target.body,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    if (response.status === 503 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // compared as text below
    }
    if (response.status !== target.expect.status || !isDeepStrictEqual(body, target.expect.body)) {
      throw new Error(`wrong answer from ${target.url}: ${response.status} ${text.slice(0, 300)}`);
    }
    return;
  }
}

async function checkNats(target: Extract<Target, { kind: 'nats' }>): Promise<void> {
  const nc = await connect({ servers: target.url });
  try {
    const reply = await nc.request(target.subject, new TextEncoder().encode(target.payload), { timeout: 5000 });
    const body: unknown = JSON.parse(new TextDecoder().decode(reply.data));
    if (!isDeepStrictEqual(body, target.expect)) throw new Error(`wrong answer on ${target.subject}: ${JSON.stringify(body)}`);
  } finally {
    await nc.close();
  }
}
