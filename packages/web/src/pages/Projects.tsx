import { useState } from 'react';
import { api, endpoints } from '../api.js';
import { href } from '../router.js';
import { ErrorBox, MoreButton, Section, Table, useAction, useLoad, usePaged } from '../ui.js';

export function ProjectsPage({ org }: { org: string }) {
  const projects = usePaged(
    (cursor) => api.call(endpoints.projects.list, { params: { org }, query: { limit: 50, cursor } }),
    [org],
  );
  const action = useAction();
  const [name, setName] = useState('');
  return (
    <>
      <h1>Projects of {org}</h1>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          await action.run(async () => {
            await api.call(endpoints.projects.create, { params: { org }, body: { name } });
            setName('');
            projects.reload();
          });
        }}
      >
        <div className="fields">
          <label>
            New project
            <input value={name} onChange={(e) => setName(e.target.value)} required />
          </label>
          <button type="submit" disabled={action.busy}>
            Create project
          </button>
        </div>
      </form>
      <ErrorBox error={action.error ?? projects.error} />
      {projects.items.map((p) => (
        <Section key={p.id} title={p.name}>
          <p className="muted">
            Keys start with <code>{p.keyPrefix}</code> ·{' '}
            <a href={href('orgs', org, 'projects', p.name, 'matrix')}>Environment matrix</a>
          </p>
          <ul className="plain">
            {p.environments.map((env) => (
              <li key={env}>
                <a href={href('orgs', org, 'projects', p.name, 'env', env)}>{env}</a>
              </li>
            ))}
          </ul>
        </Section>
      ))}
      <MoreButton hasMore={projects.hasMore} more={projects.more} />
    </>
  );
}

/** Secret names × environments: which names are missing where. */
export function MatrixPage({ org, project }: { org: string; project: string }) {
  const matrix = useLoad(async () => {
    const envs = await api.all(endpoints.environments.list, { params: { org, project } });
    const lists = await Promise.all(
      envs.map(async (env) => ({
        env: env.name,
        names: new Map(
          (await api.all(endpoints.secrets.list, { params: { org, project, env: env.name } })).map((s) => [
            s.name,
            s.status,
          ]),
        ),
      })),
    );
    const names = [...new Set(lists.flatMap((l) => [...l.names.keys()]))].sort();
    return { lists, names };
  }, [org, project]);
  return (
    <>
      <h1>
        Environment matrix of {project} <a href={href('orgs', org, 'projects')}>(projects)</a>
      </h1>
      <ErrorBox error={matrix.error} />
      {matrix.data ? (
        <Table columns={['Secret', ...matrix.data.lists.map((l) => l.env)]}>
          {matrix.data.names.map((name) => (
            <tr key={name}>
              <th scope="row">
                <code>{name}</code>
              </th>
              {matrix.data?.lists.map((l) => {
                const status = l.names.get(name);
                return (
                  <td key={l.env} className={status ? '' : 'missing'}>
                    {status ?? 'missing'}
                  </td>
                );
              })}
            </tr>
          ))}
        </Table>
      ) : null}
    </>
  );
}
