import { Module, ValidationPipe } from '@nestjs/common';
import { APP_PIPE } from '@nestjs/core';
import { MailService, OrdersService, ReportsService } from './events.service';
import { GreeterService } from './greeter.service';
import { MathService } from './math.service';

/** The demo's services. Params are validated against their DTOs by Nest's ValidationPipe. */
@Module({
  controllers: [GreeterService, MathService, MailService, ReportsService, OrdersService],
  providers: [{ provide: APP_PIPE, useValue: new ValidationPipe({ transform: true }) }],
})
export class DemoModule {}
