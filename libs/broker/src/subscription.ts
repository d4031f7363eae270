import type { Client } from './client';

/** One SUB of one client. */
export class Subscription {
  /** Messages delivered so far. */
  delivered = 0;
  /** Auto-unsubscribe after this many (0 = no limit). */
  max = 0;

  constructor(
    readonly client: Client,
    readonly subject: string,
    readonly queue: string | undefined,
    readonly sid: string,
  ) {}
}
