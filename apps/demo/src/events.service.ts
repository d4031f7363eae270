import { Logger } from '@nestjs/common';
import { MeshContext, MeshFunction, MeshService } from 'nest-mesh';

/** The params every triggered function gets (docs/events.md). */
interface EventParams<T = unknown> {
  id: string;
  type: string;
  source: 'event' | 'schedule' | 'table';
  time: string;
  attempt: number;
  payload: T;
}

/** Functions that triggers call: a welcome mail on `user.signup`, a report every minute, and order changes. */
@MeshService('mail')
export class MailService {
  private readonly logger = new Logger('mail');
  /** Event ids already handled: delivery is at least once, so a function dedupes by id. */
  private readonly done = new Set<string>();

  @MeshFunction('welcome')
  welcome(event: EventParams<{ email?: string }>, ctx: MeshContext): { sent: boolean } {
    if (this.done.has(event.id)) return { sent: false };
    this.done.add(event.id);
    this.logger.log(`welcome mail to ${event.payload?.email ?? 'someone'} (event ${ctx.event?.id}, attempt ${ctx.event?.attempt})`);
    return { sent: true };
  }
}

@MeshService('reports')
export class ReportsService {
  private readonly logger = new Logger('reports');

  @MeshFunction('minutely')
  minutely(event: EventParams): void {
    this.logger.log(`scheduled report for ${event.time} (occurrence ${event.id})`);
  }
}

@MeshService('orders')
export class OrdersService {
  private readonly logger = new Logger('orders');

  @MeshFunction('changed')
  changed(event: EventParams<{ op: string; table: string; new: unknown; old: unknown }>): void {
    this.logger.log(`${event.payload.op} on ${event.payload.table}: ${JSON.stringify(event.payload.new ?? event.payload.old)}`);
  }
}
