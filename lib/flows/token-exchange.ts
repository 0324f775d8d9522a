/**
 * `GET /sessions/token-exchange?init_code=&return_to_code=` (Kratos's exchangeSessionToken): a native app that signed
 * in through a browser (an API flow made with `return_session_token_exchange_code=true`) trades the init code its flow
 * answered and the code its `return_to` received for the session token. Both codes must match; the session must still
 * be active. Codes are not spent by an exchange (as Kratos); they live as long as their flow's item.
 */
import { BadRequestError, NotFoundError } from '../errors/index.js';
import { sessionView } from '../session/model.js';
import type { SessionService } from '../session/service.js';
import { exchangeCodeHash, flowIdOfInitCode, openSessionToken } from '../session/token-exchange.js';
import { sameString } from '../util/constant-time.js';
import type { FlowRepository } from './repository.js';

export interface TokenExchangeDeps {
  flows: Pick<FlowRepository, 'get'>;
  sessionService: SessionService;
  /** The server secrets the token was sealed with (the first seals; any opens). */
  secrets: readonly string[];
  publicBaseUrl: string;
}

export function createTokenExchange(deps: TokenExchangeDeps) {
  return {
    async exchange(initCode: string | undefined, returnToCode: string | undefined, now: Date): Promise<Record<string, unknown>> {
      if (!initCode || !returnToCode) throw new BadRequestError('Both init_code and return_to_code are required.');
      const flowId = flowIdOfInitCode(initCode);
      const flow = flowId ? await deps.flows.get(flowId) : undefined;
      const pending = flow?.oidc?.exchange;
      // An unknown code, one whose sign-in is not done, and a wrong second code are answered alike.
      if (!flow?.exchangeCodeHash || !pending || !sameString(flow.exchangeCodeHash, exchangeCodeHash(initCode)) || !sameString(pending.returnToCodeHash, exchangeCodeHash(returnToCode))) {
        throw new NotFoundError('no session yet for this code');
      }
      const token = openSessionToken(deps.secrets, pending.sealedToken);
      const session = token ? await deps.sessionService.findActive(token, now) : undefined;
      if (!token || !session) throw new NotFoundError('no session yet for this code');
      return { session_token: token, session: sessionView(session, now, deps.publicBaseUrl) };
    },
  };
}
export type TokenExchange = ReturnType<typeof createTokenExchange>;
