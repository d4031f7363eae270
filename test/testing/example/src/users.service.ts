// src/users.service.ts
import { Injectable } from '@nestjs/common';
import { IsEmail } from 'class-validator';
import { MeshContext, MeshError, MeshFunction, MeshService } from 'nest-mesh';

export class CreateUser {
  @IsEmail() email!: string;
}

/** Where users are kept: a database, in a real app. */
@Injectable()
export class UserStore {
  private readonly emails = new Set<string>();

  /** Adds `email`; false when it is taken. */
  async add(email: string): Promise<boolean> {
    if (this.emails.has(email)) return false;
    this.emails.add(email);
    return true;
  }
}

@MeshService('users')
export class UsersService {
  constructor(private readonly store: UserStore) {}

  @MeshFunction('create')
  async create(params: CreateUser, ctx: MeshContext) {
    if (!ctx.auth) throw new MeshError(401, 'sign in first', 'UNAUTHENTICATED');
    if (!(await this.store.add(params.email))) throw new MeshError(409, 'email taken', 'EMAIL_TAKEN');
    return { email: params.email, by: ctx.auth.sub, requestId: ctx.requestId };
  }
}
