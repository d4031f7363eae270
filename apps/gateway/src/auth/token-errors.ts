/** Verified JWT claims, frozen (shared between the calls that present the same token). */
export type Claims = Readonly<Record<string, unknown>>;

/** A present token that cannot be accepted (the gateway answers 401). The message never holds the token. */
export class TokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenError';
  }
}

/** The token settings themselves are wrong (found at start-up). The message names the setting. */
export class TokenSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenSettingsError';
  }
}
