import { Controller, Get, Header } from '@nestjs/common';
import { JSON_CONTENT_TYPE } from '@nest-mesh/wire';
import { GatewayTokenSigner } from './mesh-token-signer';

/** `GET /.well-known/jwks.json`: the public keys that verify this gateway's Mesh-Tokens (docs/security.md). */
@Controller('.well-known')
export class JwksController {
  private readonly body: string;

  constructor(signer: GatewayTokenSigner) {
    this.body = JSON.stringify(signer.jwks);
  }

  @Get('jwks.json')
  @Header('Content-Type', JSON_CONTENT_TYPE)
  @Header('Cache-Control', 'public, max-age=300')
  jwks(): string {
    return this.body;
  }
}
