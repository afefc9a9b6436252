import { badRequest, created, forbidden, notFound, ok, type RouteHandler } from '@latchkey/sdk';

type Task = { id: string; title: string; done: boolean; createdBy: string };
type Project = { id: string; name: string; tasks: Task[] };

// An in-memory store keeps the example about access, not persistence.
const projects = new Map<string, Project>([
  [
    'p1',
    {
      id: 'p1',
      name: 'Website relaunch',
      tasks: [{ id: 't1', title: 'Pick a font', done: true, createdBy: 'seed' }],
    },
  ],
  ['p2', { id: 'p2', name: 'Mobile app', tasks: [] }],
]);

const summary = (p: Project) => ({ id: p.id, name: p.name, tasks: p.tasks.length });

/** One function per handler name in latch.config.ts; mountRoutes refuses to start otherwise. */
export const handlers: Record<string, RouteHandler> = {
  listProjects: () => ok({ items: [...projects.values()].map(summary) }),

  getProject: (req) => {
    const p = projects.get(req.params.projectId!);
    return p ? ok(summary(p)) : notFound(`No project ${req.params.projectId}.`);
  },

  listTasks: (req) => {
    const p = projects.get(req.params.projectId!);
    return p ? ok({ items: p.tasks }) : notFound(`No project ${req.params.projectId}.`);
  },

  createTask: (req) => {
    // The route already requires scope `writer`; the grant check shows the finer-grained form.
    if (!req.auth.can('write', 'Task')) return forbidden('This key cannot write tasks.');
    const p = projects.get(req.params.projectId!);
    if (!p) return notFound(`No project ${req.params.projectId}.`);
    const body = req.body<{ title?: unknown }>();
    if (typeof body?.title !== 'string' || !body.title.trim())
      return badRequest('title is required', 'Send {"title": "..."}');
    const by = req.auth.kind === 'apiKey' ? req.auth.name : 'unknown';
    const task: Task = {
      id: `t${Date.now().toString(36)}`,
      title: body.title.trim(),
      done: false,
      createdBy: by,
    };
    p.tasks.push(task);
    return created(task, { location: `/v1/projects/${p.id}/tasks/${task.id}` });
  },

  exportMyData: (req) =>
    ok({ user: req.auth.kind === 'session' ? req.auth.user.id : null, projects: projects.size }),

  // The signature (X-Hub-Signature-256 with GITHUB_WEBHOOK_SECRET) was checked by mountRoutes
  // from the route's `verify` in latch.config.ts: only signed deliveries get here.
  githubWebhook: (req) => ok({ received: req.headers['x-github-event'] ?? 'unknown' }),
};
