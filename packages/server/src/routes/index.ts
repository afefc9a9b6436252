import type { RouteModule } from '../app.js';
import { healthRoutes } from './health.js';
import { metricsRoutes } from './metrics.js';
import { authorizeRoutes } from './oauth/authorize.js';
import { metadataRoutes } from './oauth/metadata.js';
import { tokenRoutes } from './oauth/token.js';
import { accessLogRoutes } from './v1/access-log.js';
import { apiKeyRoutes } from './v1/api-keys.js';
import { auditRoutes } from './v1/audit.js';
import { effectRoutes } from './v1/effects.js';
import { environmentRoutes } from './v1/environments.js';
import { identityRoutes } from './v1/identities.js';
import { invitationRoutes } from './v1/invitations.js';
import { logRoutes } from './v1/logs.js';
import { manifestRoutes } from './v1/manifests.js';
import { meRoutes } from './v1/me.js';
import { memberRoutes } from './v1/members.js';
import { orgRoutes } from './v1/orgs.js';
import { patRoutes } from './v1/pats.js';
import { platformKeyRoutes } from './v1/platform-keys.js';
import { projectRoutes } from './v1/projects.js';
import { releaseRoutes } from './v1/releases.js';
import { sdkRoutes } from './v1/sdk.js';
import { secretRoutes } from './v1/secrets.js';
import { serviceAccountRoutes } from './v1/service-accounts.js';
import { trustPolicyRoutes } from './v1/trust-policies.js';
import { webhookRoutes } from './v1/webhooks.js';
import { dashboardRoutes } from './web/dashboard.js';
import { deviceRoutes } from './web/device.js';
import { inviteRoutes } from './web/invite.js';
import { loginRoutes } from './web/login.js';
import { resetPasswordRoutes } from './web/reset-password.js';
import { setupRoutes } from './web/setup.js';
import { ssoRoutes } from './web/sso.js';

/** Every route module, in registration order. A new module is one import and one entry here. */
export const routeModules: RouteModule[] = [
  healthRoutes,
  metricsRoutes,
  meRoutes,
  identityRoutes,
  orgRoutes,
  patRoutes,
  memberRoutes,
  invitationRoutes,
  platformKeyRoutes,
  serviceAccountRoutes,
  trustPolicyRoutes,
  webhookRoutes,
  effectRoutes,
  projectRoutes,
  environmentRoutes,
  manifestRoutes,
  secretRoutes,
  releaseRoutes,
  apiKeyRoutes,
  sdkRoutes,
  logRoutes,
  auditRoutes,
  accessLogRoutes,
  metadataRoutes,
  tokenRoutes,
  authorizeRoutes,
  loginRoutes,
  setupRoutes,
  inviteRoutes,
  resetPasswordRoutes,
  ssoRoutes,
  deviceRoutes,
  dashboardRoutes,
];
