// src/app.module.ts
import { Module, ValidationPipe } from '@nestjs/common';
import { APP_PIPE } from '@nestjs/core';
import { UsersService, UserStore } from './users.service';

@Module({
  controllers: [UsersService],
  providers: [UserStore, { provide: APP_PIPE, useValue: new ValidationPipe() }],
})
export class AppModule {}
