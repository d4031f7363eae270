import { DynamicModule, Logger, Module, Provider, Type } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { MeshModule, MeshOptions } from 'nest-mesh';
import { CurrentTokenVerifier, TokenVerifier } from './auth';
import { CallController } from './call/call.controller';
import { CallErrors } from './call/call-errors';
import { CallGuard } from './call/call.guard';
import { StreamCalls } from './call/stream-calls';
import { ConsoleController } from './console/console.controller';
import { DiscoveryController } from './discovery/discovery.controller';
import { DiscoveryService } from './discovery/discovery.service';
import { CONFIG_RELOADABLES } from './config/config-reloadable';
import { ConfigReloader } from './config/config-reloader';
import { GatewayConfig } from './config/gateway-config';
import { tokenSettingsOf } from './config/token-settings';
import { CorsOrigins } from './http/cors';
import { bodyLimitProvider } from './http/body-limit';
import { eventingParts } from './eventing/eventing-parts';
import { ERROR_ANSWERS, HttpErrorFilter } from './http/http-error.filter';
import { InFlightLimit, LimitsModule, RateLimits } from './limits';
import { GatewayMetrics, ObservabilityModule } from './observability';
import { NestBridge } from './nest-bridge/nest-bridge';
import { RulesService } from './rules/rules.service';
import { GatewayTokenSigner, JwksController } from './trust';

/** The gateway for one validated config; `broker` is how it reaches NATS. */
@Module({})
export class GatewayModule {
  static register(config: GatewayConfig, broker: MeshOptions): DynamicModule {
    const errors = { provide: APP_FILTER, useClass: HttpErrorFilter };
    const running = { provide: GatewayConfig, useValue: config };
    const bodyLimit = bodyLimitProvider(config.http.bodyLimit);
    if (!config.modules.functions.enabled) {
      if (config.console.enabled) new Logger('Gateway').warn('console.enabled: the console needs modules.functions.enabled; not served');
      const reloadables = reloadablesProvider([CorsOrigins, GatewayMetrics]);
      return {
        module: GatewayModule,
        imports: [LimitsModule.register(config), ObservabilityModule.register(config)],
        providers: [errors, running, bodyLimit, ConfigReloader, reloadables, CorsOrigins],
      };
    }
    const eventing = config.modules.eventing.enabled ? eventingParts(broker) : { controllers: [], providers: [] };
    const nestBridge = config.modules.functions.nestTargets.length > 0 ? NestBridge.providers(broker) : [];
    return {
      module: GatewayModule,
      imports: [
        MeshModule.forRoot({ name: 'nest-mesh gateway', callTimeout: config.modules.functions.timeout.default, ...broker }),
        LimitsModule.register(config),
        ObservabilityModule.register(config),
      ],
      controllers: [CallController, JwksController, DiscoveryController, ...(config.console.enabled ? [ConsoleController] : []), ...eventing.controllers],
      providers: [
        errors,
        DiscoveryService,
        CallGuard,
        StreamCalls,
        { provide: ERROR_ANSWERS, useClass: CallErrors },
        RulesService,
        running,
        bodyLimit,
        ConfigReloader,
        reloadablesProvider([RulesService, RateLimits, CurrentTokenVerifier, CorsOrigins, InFlightLimit, GatewayMetrics]),
        CorsOrigins,
        { provide: GatewayTokenSigner, useValue: broker.signer },
        {
          provide: CurrentTokenVerifier,
          useFactory: async () => new CurrentTokenVerifier(await TokenVerifier.create(tokenSettingsOf(config))),
        },
        ...eventing.providers,
        ...nestBridge,
      ],
    };
  }
}

/** The parts a config reload changes (ConfigReloadable); each reads only its own keys, so their order does not matter. */
function reloadablesProvider(parts: Type[]): Provider {
  return { provide: CONFIG_RELOADABLES, useFactory: (...instances: unknown[]) => instances, inject: parts };
}
