// @latchkey/sdk: what an app puts inside itself to verify API keys, mount its route table,
// check webhooks and manage its own keys. Errors share the server's codes.
export {
  ApiError,
  type ApiKey,
  AppError,
  type CallResult,
  type Client as ApiClient,
  type CreatedApiKey,
  createClient as createApiClient,
  type ErrorCode,
  ErrorCodes,
  endpoints,
  type VerifyResult,
} from '@latchkey/core';
export { createFetchHandler, type FetchHandler, toNodeListener } from './adapters/fetch.js';
export { mountRoutes } from './adapters/mount.js';
export {
  type ApiKeyPage,
  type ClientOptions,
  type CreateApiKeyInput,
  createClient,
  type LatchkeyClient,
  type ListApiKeysInput,
} from './client.js';
export { defineProject, type SecretRef, secret } from './config.js';
export { ManifestMountError } from './routes/compile.js';
export type { RateDecision, RateLimitOptions, RateLimitStore } from './routes/rate-limit.js';
export {
  badRequest,
  created,
  forbidden,
  noContent,
  notFound,
  ok,
  tooManyRequests,
  unauthorized,
} from './routes/responses.js';
export type { OidcSessionOptions, SessionInput, SessionOption, SessionResolver } from './routes/session.js';
export type {
  ApiKeyAuth,
  AuthInfo,
  MountOptions,
  NoAuth,
  RouteHandler,
  RouteRequest,
  RouteResponse,
  SecretsOption,
  SessionAuth,
  SessionUser,
} from './routes/types.js';
export { type LoadSecretsOptions, loadSecrets } from './secrets.js';
export type { UsageEvent, UsageOptions } from './verifier/usage.js';
export {
  createVerifier,
  type SdkClock,
  type Verifier,
  type VerifierOptions,
  type VerifierStats,
  type VerifyOptions,
} from './verifier/verifier.js';
export {
  type ToleranceOptions,
  verifyGithubWebhook,
  verifyStandardWebhook,
  verifyStripeWebhook,
  type WebhookCheck,
  type WebhookRequest,
} from './webhooks.js';
