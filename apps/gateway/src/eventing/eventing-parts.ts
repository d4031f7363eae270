import { Provider, Type } from '@nestjs/common';
import type { MeshOptions } from 'nest-mesh';
import { EmitListener } from './emit-listener';
import { EVENTING_BROKER, eventStoreProvider } from './event-store.provider';
import { EventingAccess } from './eventing-access';
import { EventingController } from './eventing.controller';
import { EventingService } from './eventing.service';

/**
 * Eventing in the gateway (docs/events.md): the store, the dispatcher, schedules, tables, the
 * routes and emit. Added to the gateway's module when `modules.eventing.enabled`; they use its
 * GatewayConfig, MeshClient and token verifier.
 */
export function eventingParts(broker: MeshOptions): { controllers: Type[]; providers: Provider[] } {
  return {
    controllers: [EventingController],
    providers: [{ provide: EVENTING_BROKER, useValue: broker }, eventStoreProvider, EventingService, EventingAccess, EmitListener],
  };
}
