import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER } from '@nestjs/core';
import { MeshModule, MeshOptions } from 'nest-mesh';
import { CurrentTokenVerifier, TokenVerifier } from './auth';
import { CallController } from './call/call.controller';
import { CallRequestGuard } from './call/call-request.guard';
import { ConfigReloader } from './config/config-reloader';
import { GatewayConfig } from './config/gateway-config';
import { tokenSettingsOf } from './config/token-settings';
import { eventingParts } from './eventing/eventing-parts';
import { HttpErrorFilter } from './http/http-error.filter';
import { RulesGuard } from './rules/rules.guard';
import { RulesService } from './rules/rules.service';

/** The gateway for one validated config; `broker` is how it reaches NATS. */
@Module({})
export class GatewayModule {
  static register(config: GatewayConfig, broker: MeshOptions): DynamicModule {
    const configModule = ConfigModule.forRoot({
      isGlobal: true,
      ignoreEnvFile: true,
      skipProcessEnv: true,
      load: [() => ({ ...config })],
    });
    const errors = { provide: APP_FILTER, useClass: HttpErrorFilter };
    const running = { provide: GatewayConfig, useValue: config };
    if (!config.modules.functions.enabled) {
      return { module: GatewayModule, imports: [configModule], providers: [errors, running, ConfigReloader] };
    }
    const eventing = config.modules.eventing.enabled ? eventingParts(broker) : { controllers: [], providers: [] };
    return {
      module: GatewayModule,
      imports: [
        configModule,
        MeshModule.forRoot({ name: 'nest-mesh gateway', callTimeout: config.modules.functions.timeout.default, ...broker }),
      ],
      controllers: [CallController, ...eventing.controllers],
      providers: [
        errors,
        CallRequestGuard,
        RulesGuard,
        RulesService,
        running,
        ConfigReloader,
        {
          provide: CurrentTokenVerifier,
          useFactory: async () => new CurrentTokenVerifier(await TokenVerifier.create(tokenSettingsOf(config))),
        },
        ...eventing.providers,
      ],
    };
  }
}
