import { defineProject, secret } from '@latchkey/sdk/config';

// The access manifest of SPEC section 6: pure data, pushed with `latch scopes push` and mounted
// by server.ts with the same handler names.
export default defineProject({
  project: 'acme',
  apiKeys: {
    scopes: {
      read: { grants: { Project: ['read'], Task: ['read'] }, description: 'read projects and tasks' },
      writer: { grants: { Project: ['read'], Task: ['read', 'write'] }, description: 'also create tasks' },
    },
  },
  routes: [
    {
      prefix: '/v1',
      auth: 'apiKey:read',
      rateLimit: '1000/minute',
      routes: {
        'GET /projects': 'listProjects',
        'GET /projects/:projectId': 'getProject',
        'GET /projects/:projectId/tasks': 'listTasks',
        'POST /projects/:projectId/tasks': {
          handler: 'createTask',
          auth: 'apiKey:writer',
          rateLimit: '60/minute',
        },
      },
    },
    { prefix: '/app', auth: 'session', routes: { 'GET /me/export': 'exportMyData' } },
    {
      prefix: '/webhooks',
      auth: 'none',
      rateLimit: '100/minute',
      routes: {
        // mountRoutes checks GitHub's signature with the released GITHUB_WEBHOOK_SECRET.
        'POST /github': {
          handler: 'githubWebhook',
          verify: { scheme: 'github', secret: secret('GITHUB_WEBHOOK_SECRET') },
        },
      },
    },
  ],
});
