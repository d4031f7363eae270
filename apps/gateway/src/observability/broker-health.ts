import { Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { MeshConnection } from 'nest-mesh/internal';
import { Readiness } from './readiness';

/**
 * The broker connection as a readiness check (`broker` in /readyz) and as the
 * `mesh_broker_connected` gauge. Without the functions module there is no connection: not connected,
 * and no check (the gateway serves no calls then, and is ready for what it does serve).
 */
@Injectable()
export class BrokerHealth implements OnModuleInit {
  constructor(
    private readonly readiness: Readiness,
    private readonly indicators: HealthIndicatorService,
    @Optional() private readonly connection?: MeshConnection,
  ) {}

  get connected(): boolean {
    return this.connection?.current !== undefined;
  }

  onModuleInit(): void {
    if (!this.connection) return;
    this.readiness.add('broker', () => {
      const session = this.indicators.check('broker');
      return this.connected ? session.up() : session.down({ message: 'not connected to the broker' });
    });
  }
}
