import type { Config } from '../config/config.js';
import { createTokenService, type TokenService } from './auth.js';

/** The node's token service from its configuration: current and (during a rotation) previous key, age and skew limits. */
export function tokenServiceOf(config: Config): TokenService {
  return createTokenService({
    secret: config.AUTH_SECRET,
    ...(config.AUTH_KEY_ID === undefined ? {} : { kid: config.AUTH_KEY_ID }),
    ...(config.AUTH_PREVIOUS_SECRET !== undefined && config.AUTH_PREVIOUS_KEY_ID !== undefined
      ? { previous: { kid: config.AUTH_PREVIOUS_KEY_ID, secret: config.AUTH_PREVIOUS_SECRET } } : {}),
    maxTokenAgeSeconds: config.AUTH_MAX_TOKEN_AGE_S,
    clockToleranceSeconds: config.AUTH_CLOCK_TOLERANCE_S,
    verifiedTokensMax: config.AUTH_VERIFIED_TOKENS_MAX,
  });
}
