/**
 * Login and registration in two screens (Kratos's `identifier_first` login and `profile_first` registration styles):
 * a method may answer a submit by moving the flow to another screen; the flow keeps that and shows itself on it, as
 * Kratos answers: a browser's form post a 303 to the flow's UI, anything else 400 with the flow (what Ory Elements
 * and Ory's UIs read as "show this flow").
 */
import { FlowAlreadyUsedError } from '../errors/index.js';
import { messages } from '../text/messages.js';
import { jsonAnswer, redirectAnswer, type FlowAnswer } from './answer.js';
import { flowUiUrl } from './browser.js';
import { failedWith, invalid, render, savedUiOf, type FlowDeps, type FlowRequest } from './common.js';
import { firstScreenOf, type FlowRecord } from './model.js';
import type { NextScreen } from './strategy.js';

/** The screen a new login or registration flow starts on, in the configured style; none: the one-screen form. */
export const startingScreen = (type: 'login' | 'registration', twoScreens: boolean): Partial<FlowRecord> => (twoScreens ? { screen: firstScreenOf(type) } : {});

/**
 * A login or registration flow a method moved on (a code sent), stored already, answered as Kratos answers such a step:
 * a browser's form post is sent to the flow's UI, anything else gets the flow with `status` (400: "show this flow").
 */
export function showStep(deps: FlowDeps, flow: FlowRecord, request: FlowRequest, status = 400): FlowAnswer {
  const type = flow.type === 'login' ? 'login' : 'registration';
  if (flow.mode === 'browser' && !request.browser.json) return redirectAnswer(flowUiUrl(deps, type, flow.id));
  return jsonAnswer(render(deps, flow, request.browser.csrfCookie, savedUiOf(flow)), status);
}

export async function showScreen(deps: FlowDeps, flow: FlowRecord, next: NextScreen, request: FlowRequest): Promise<FlowAnswer> {
  const type = flow.type === 'login' ? 'login' : 'registration';
  const ui = failedWith(next.values ?? {}, next.messages ?? []);
  try {
    await deps.flows.showScreen(flow.id, next.screen, next.firstScreen, ui);
  } catch (error) {
    // Completed meanwhile by another submit of it.
    if (error instanceof FlowAlreadyUsedError) throw invalid(deps, flow, request, failedWith({}, [messages.flowAlreadyCompleted(type)]));
    throw error;
  }
  const { messages: _startedWith, firstScreen: _before, ...rest } = flow;
  return showStep(deps, { ...rest, screen: next.screen, ...(next.firstScreen ? { firstScreen: next.firstScreen } : {}), ui }, request);
}
