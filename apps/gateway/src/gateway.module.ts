import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { MeshModule, MeshOptions } from 'nest-mesh';
import { CurrentTokenVerifier, TokenVerifier } from './auth';
import { CallController } from './call/call.controller';
import { CallRequestGuard } from './call/call-request.guard';
import { ConfigReloader } from './config/config-reloader';
import { GatewayConfig } from './config/gateway-config';
import { tokenSettingsOf } from './config/token-settings';
import { bodyLimitProvider } from './http/body-limit';
import { HttpErrorFilter } from './http/http-error.filter';
import { RulesGuard } from './rules/rules.guard';
import { RulesService } from './rules/rules.service';

/** The gateway for one validated config; `broker` is how it reaches NATS. */
@Module({})
export class GatewayModule {
  static register(config: GatewayConfig, broker: MeshOptions): DynamicModule {
    const errors = { provide: APP_FILTER, useClass: HttpErrorFilter };
    const running = { provide: GatewayConfig, useValue: config };
    const bodyLimit = bodyLimitProvider(config.http.bodyLimit);
    if (!config.modules.functions.enabled) {
      return { module: GatewayModule, providers: [errors, running, bodyLimit, ConfigReloader] };
    }
    return {
      module: GatewayModule,
      imports: [
        MeshModule.forRoot({ name: 'nest-mesh gateway', callTimeout: config.modules.functions.timeout.default, ...broker }),
      ],
      controllers: [CallController],
      providers: [
        errors,
        CallRequestGuard,
        RulesGuard,
        RulesService,
        running,
        bodyLimit,
        ConfigReloader,
        {
          provide: CurrentTokenVerifier,
          useFactory: async () => new CurrentTokenVerifier(await TokenVerifier.create(tokenSettingsOf(config))),
        },
      ],
    };
  }
}
