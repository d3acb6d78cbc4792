/**
 * Service templates offered when adding a service. The first four and `custom` are Orchest's final
 * (Kubernetes-era) templates field for field (orchest-compatibility.md: Templates, ServiceTemplatesDialog/content.tsx);
 * `postgres` and `jupyter` are Berth's, written for what Orchest lacked (persistence, readiness).
 */
import { SpecError } from './errors.ts';
import type { ServiceSpec } from './types.ts';

export type ServiceTemplateId = 'tensorboard' | 'streamlit' | 'vscode' | 'redis' | 'postgres' | 'jupyter' | 'custom';

/** ServiceSpec's declared fields without its index signature (Omit would keep only the signature). */
type DeclaredServiceFields = { [K in keyof ServiceSpec as string extends K ? never : K]: ServiceSpec[K] };
export type ServiceTemplateConfig = Omit<DeclaredServiceFields, 'order'>;

export interface ServiceTemplate {
  id: ServiceTemplateId;
  label: string;
  description: string;
  /** True for Orchest's own templates, kept identical to Orchest. */
  fromOrchest: boolean;
  /** The service without `order` (given when the template is added to a pipeline). */
  config: ServiceTemplateConfig;
}

export const SERVICE_TEMPLATES: readonly ServiceTemplate[] = [
  {
    id: 'tensorboard',
    label: 'TensorBoard',
    description: 'TensorBoard reading logs from the data directory.',
    fromOrchest: true,
    config: {
      binds: { '/data': '/data' },
      command: 'bash',
      args: "-c 'umask 002 && tensorboard --logdir /data --host 0.0.0.0'",
      exposed: true,
      requires_authentication: true,
      image: 'tensorflow/tensorflow',
      name: 'tensorboard',
      ports: [6006],
      scope: ['interactive'],
    },
  },
  {
    id: 'streamlit',
    label: 'Streamlit',
    description: 'A Streamlit app from streamlit.py in the project directory.',
    fromOrchest: true,
    config: {
      binds: { '/data': '/data', '/project-dir': '/usr/src/app/src' },
      args: "-c 'umask 002 && touch /usr/src/app/src/streamlit.py && streamlit run src/streamlit.py'",
      command: 'bash',
      env_variables: { STREAMLIT_SERVER_BASE_URL_PATH: '$BASE_PATH_PREFIX_8501' },
      exposed: true,
      requires_authentication: true,
      image: 'orchest/streamlit',
      name: 'streamlit',
      ports: [8501],
      preserve_base_path: true,
      scope: ['interactive', 'noninteractive'],
    },
  },
  {
    id: 'vscode',
    label: 'VSCode',
    description: 'VS Code in the browser (code-server) editing the project directory.',
    fromOrchest: true,
    config: {
      binds: { '/project-dir': '/home/coder/code-server' },
      command: 'bash',
      args: "-c 'umask 002 && code-server --auth none --bind-addr 0.0.0.0:8080 /home/coder/code-server'",
      exposed: true,
      requires_authentication: true,
      image: 'codercom/code-server:latest',
      name: 'vscode',
      ports: [8080],
      scope: ['interactive'],
    },
  },
  {
    id: 'redis',
    label: 'Redis',
    description: 'A Redis server; its data lasts as long as the session.',
    fromOrchest: true,
    config: {
      exposed: true,
      requires_authentication: true,
      image: 'redis',
      name: 'redis',
      ports: [6379],
      scope: ['interactive', 'noninteractive'],
    },
  },
  {
    id: 'postgres',
    label: 'PostgreSQL',
    description:
      'PostgreSQL whose data survives sessions (in the data directory). Define POSTGRES_PASSWORD as a project or pipeline environment variable.',
    fromOrchest: false,
    config: {
      // Orchest removed its Postgres template because data was lost with the session (#878); the
      // database lives in the /data bind instead, and the password never enters the pipeline file.
      binds: { '/data': '/data' },
      env_variables: { PGDATA: '/data/postgres/pgdata', POSTGRES_USER: 'postgres', POSTGRES_DB: 'postgres' },
      env_variables_inherit: ['POSTGRES_PASSWORD'],
      exposed: false,
      requires_authentication: true,
      image: 'postgres:16',
      name: 'postgres',
      ports: [5432],
      readiness: { type: 'command', command: ['pg_isready', '-h', '127.0.0.1', '-p', '5432', '-U', 'postgres'], timeout_seconds: 60 },
      scope: ['interactive', 'noninteractive'],
    },
  },
  {
    id: 'jupyter',
    label: 'Jupyter',
    description: 'A Jupyter server on the project directory, behind Berth\'s login (so its own token is off).',
    fromOrchest: false,
    config: {
      binds: { '/data': '/data', '/project-dir': '/home/jovyan/work' },
      command: 'jupyter',
      // Jupyter builds its URLs from base_url, so it must see the prefix (preserve_base_path).
      args: "server --ip=0.0.0.0 --port=8888 --no-browser --ServerApp.base_url=$BASE_PATH_PREFIX_8888 --IdentityProvider.token='' --ServerApp.password='' --ServerApp.root_dir=/home/jovyan/work",
      exposed: true,
      requires_authentication: true,
      image: 'quay.io/jupyter/base-notebook',
      name: 'jupyter',
      ports: [8888],
      preserve_base_path: true,
      scope: ['interactive'],
    },
  },
  {
    id: 'custom',
    label: 'Create custom service',
    description: 'An empty service: fill in the image (and command, args, ports).',
    fromOrchest: true,
    config: {
      exposed: false,
      requires_authentication: true,
      image: '',
      name: 'my-service',
      scope: ['interactive', 'noninteractive'],
      ports: [8000],
    },
  },
];

export function getServiceTemplate(id: string): ServiceTemplate {
  const template = SERVICE_TEMPLATES.find((t) => t.id === id);
  if (!template) {
    throw new SpecError('BERTH_SPEC_TEMPLATE_UNKNOWN', { id, templates: SERVICE_TEMPLATES.map((t) => t.id) });
  }
  return template;
}

/** Orchest's naming: the template name, else the name with 1, 2, … appended (up to 100). */
function uniqueServiceName(base: string, taken: ReadonlySet<string>): string {
  for (let count = 0; count < 100; count++) {
    const candidate = count === 0 ? base : `${base.slice(0, 26 - String(count).length)}${count}`;
    if (!taken.has(candidate)) return candidate;
  }
  throw new SpecError('BERTH_SPEC_NAME_EXHAUSTED', { base });
}

/** A new service from a template, named uniquely among `existingServices` and ordered after the last one. */
export function serviceFromTemplate(templateId: string, existingServices: Record<string, ServiceSpec> = {}): ServiceSpec {
  const template = getServiceTemplate(templateId);
  const services = Object.values(existingServices);
  const taken = new Set([...Object.keys(existingServices), ...services.map((s) => s.name)]);
  const orders = services.map((s) => s.order).filter((o) => Number.isInteger(o));
  const order = orders.length === 0 ? 1 : Math.max(...orders) + 1;
  const config = structuredClone(template.config);
  return { ...config, name: uniqueServiceName(config.name, taken), order };
}
