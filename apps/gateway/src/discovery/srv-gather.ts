import { createInbox, Empty, NatsConnection } from 'nats';

/**
 * One discovery round on the wire: `$SRV.PING`, `$SRV.INFO` and `$SRV.STATS` published at once,
 * each answered by every service instance (ADR-32); the answers that arrive before the deadline
 * are kept, as raw bytes. Bounded in time, in count and in bytes, whatever the services send.
 */

export interface SrvAnswers {
  ping: Uint8Array[];
  info: Uint8Array[];
  stats: Uint8Array[];
}

export interface GatherLimits {
  /** How long to wait for answers, in ms. */
  deadlineMs: number;
  /** Answers kept per verb. */
  maxAnswers: number;
  /** Bytes kept per verb (the rest is dropped). */
  maxBytes: number;
  /** The prefix of the reply subjects, as the connection's `inboxPrefix` (default `_INBOX`). */
  inboxPrefix?: string;
}

export const DEFAULT_GATHER_LIMITS: GatherLimits = { deadlineMs: 500, maxAnswers: 5000, maxBytes: 16 * 1024 * 1024 };

export async function gatherSrvAnswers(nc: NatsConnection, limits: GatherLimits = DEFAULT_GATHER_LIMITS): Promise<SrvAnswers> {
  const [ping, info, stats] = await Promise.all(['PING', 'INFO', 'STATS'].map((verb) => answersTo(nc, `$SRV.${verb}`, limits)));
  return { ping, info, stats };
}

/** Publishes an empty request on `subject` and collects the answers until the deadline. */
async function answersTo(nc: NatsConnection, subject: string, limits: GatherLimits): Promise<Uint8Array[]> {
  const inbox = createInbox(limits.inboxPrefix);
  const sub = nc.subscribe(inbox, { max: limits.maxAnswers });
  const timer = setTimeout(() => sub.unsubscribe(), limits.deadlineMs);
  const answers: Uint8Array[] = [];
  let bytes = 0;
  try {
    nc.publish(subject, Empty, { reply: inbox });
    for await (const msg of sub) {
      bytes += msg.data.length;
      if (bytes > limits.maxBytes) {
        sub.unsubscribe();
        break;
      }
      answers.push(msg.data);
    }
  } finally {
    clearTimeout(timer);
    if (!sub.isClosed()) sub.unsubscribe();
  }
  return answers;
}
