import { useState, type FormEvent } from 'react';
import { call } from '../api.ts';
import { Link, navigate, projectHref } from '../router.tsx';
import { useAsync } from '../lib/use-async.ts';
import { useTitle } from '../lib/use-title.ts';
import { ErrorNote } from '../components/ErrorNote.tsx';

export function ProjectsPage() {
  const projects = useAsync(() => call('listProjects'), 'projects');
  useTitle('Projects');
  const [path, setPath] = useState('');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [newName, setNewName] = useState('');
  const [starter, setStarter] = useState<'empty' | 'demo'>('empty');
  const [creating, setCreating] = useState(false);
  const [createError, setCreateError] = useState<unknown>(null);

  async function createProject(event: FormEvent) {
    event.preventDefault();
    setCreating(true);
    setCreateError(null);
    try {
      const { project } = await call('createProject', {}, { name: newName.trim(), starter });
      navigate(projectHref(project.name));
    } catch (caught) {
      setCreateError(caught);
    } finally {
      setCreating(false);
    }
  }

  async function addProject(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { project } = await call('createProject', {}, { path: path.trim(), ...(name.trim() ? { name: name.trim() } : {}) });
      navigate(projectHref(project.name));
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  const list = projects.data?.projects ?? [];
  return (
    <section className="page">
      <h1>Projects</h1>
      <p className="lead">A project is a directory with pipelines (<code>.orchest</code> files). Berth reads and writes them in place.</p>
      {projects.error ? <ErrorNote error={projects.error} /> : null}
      {!projects.data && projects.loading ? <p className="muted placeholder-line">Loading projects…</p> : null}
      {projects.data && list.length === 0 ? (
        <div className="empty-state">
          <h2>No projects yet</h2>
          <p>Create one or add a directory below, or run <code>berth project create NAME</code> / <code>berth project add DIR</code>.</p>
        </div>
      ) : null}
      {list.length > 0 ? (
        <ul className="card-list" aria-label="Projects">
          {list.map((project) => (
            <li key={project.uuid} className="card">
              <Link href={projectHref(project.name)} className="card-title">
                {project.name}
              </Link>
              <div className="muted mono small-text">{project.path}</div>
            </li>
          ))}
        </ul>
      ) : null}
      <form className="card form-card" onSubmit={createProject} aria-labelledby="create-project">
        <h2 id="create-project">Create a new project</h2>
        <div className="form-grid">
          <div className="field">
            <label htmlFor="new-project-name">Name</label>
            <input id="new-project-name" value={newName} onChange={(e) => setNewName(e.target.value)} placeholder="analysis" required />
            <p className="help">Created in Berth's data directory, under projects/.</p>
          </div>
          <div className="field">
            <label htmlFor="new-project-starter">Start from</label>
            <select id="new-project-starter" value={starter} onChange={(e) => setStarter(e.target.value as 'empty' | 'demo')}>
              <option value="empty">An empty pipeline</option>
              <option value="demo">The demo (steps and three services)</option>
            </select>
            <p className="help">You can add services from templates in the pipeline's settings.</p>
          </div>
        </div>
        {createError ? <ErrorNote error={createError} /> : null}
        <button type="submit" className="primary" disabled={creating || !newName.trim()}>
          {creating ? 'Creating…' : 'Create project'}
        </button>
      </form>
      <form className="card form-card" onSubmit={addProject} aria-labelledby="add-project">
        <h2 id="add-project">Add an existing directory</h2>
        <div className="form-grid">
          <div className="field">
            <label htmlFor="project-path">Directory path</label>
            <input id="project-path" value={path} onChange={(e) => setPath(e.target.value)} placeholder="/home/me/my-project" required />
            <p className="help">An absolute path on the machine that runs Berth.</p>
          </div>
          <div className="field">
            <label htmlFor="project-name">Name (optional)</label>
            <input id="project-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="the directory's name" />
            <p className="help">Letters, digits, ".", "_" or "-".</p>
          </div>
        </div>
        {error ? <ErrorNote error={error} /> : null}
        <button type="submit" className="primary" disabled={busy || !path.trim()}>
          {busy ? 'Adding…' : 'Add project'}
        </button>
      </form>
    </section>
  );
}
