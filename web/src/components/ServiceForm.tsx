/**
 * Every field of one service. Errors come from the server's schema (POST /api/validate) and are
 * shown at the field they are about; the future URLs follow the name, ports and base-path choice.
 */
import type { Scope } from '../../../src/spec/browser.ts';
import { messagesFor, type FieldErrors, type ReadinessKind, type ServiceDraft } from '../lib/draft.ts';
import { absolute, serviceUrl } from '../lib/urls.ts';
import { described, Field } from './Field.tsx';
import { GrowingTextarea } from './GrowingTextarea.tsx';
import type { EnvironmentInfo } from './EnvironmentsSection.tsx';

export interface ServiceFormProps {
  draft: ServiceDraft;
  errors: FieldErrors;
  duplicateName: boolean;
  otherNames: string[];
  inheritable: string[];
  environments: EnvironmentInfo[] | null;
  sessionUuid: string | null;
  onChange: (draft: ServiceDraft) => void;
  onRemove: () => void;
}

const READINESS: { value: ReadinessKind; label: string }[] = [
  { value: '', label: 'Its ports accept connections' },
  { value: 'port', label: 'Chosen ports accept connections' },
  { value: 'http', label: 'An HTTP request succeeds' },
  { value: 'log', label: 'A log line appears' },
  { value: 'command', label: 'A command succeeds' },
  { value: 'none', label: 'It is running' },
];

export function ServiceForm(props: ServiceFormProps) {
  const { draft: d, errors } = props;
  const id = (field: string) => `${d.id}-${field}`;
  const set = (patch: Partial<ServiceDraft>) => props.onChange({ ...d, ...patch });
  const setReadiness = (patch: Partial<ServiceDraft['readiness']>) => set({ readiness: { ...d.readiness, ...patch } });
  const nameErrors = [...messagesFor(errors, 'name'), ...(props.duplicateName ? ['Same service name has been taken.'] : [])];
  const usesEnvironment = d.image.startsWith('environment@');
  const inheritChoices = [...new Set([...props.inheritable, ...d.inherit])].sort();
  const toggle = <T,>(list: T[], value: T, on: boolean) => (on ? [...list.filter((v) => v !== value), value] : list.filter((v) => v !== value));

  return (
    <div className="service-form">
      {errors.get('')?.length ? (
        <p className="field-error" role="alert">
          {errors.get('')!.join(' ')}
        </p>
      ) : null}
      <fieldset>
        <legend>What runs</legend>
        <div className="form-grid">
          <Field id={id('name')} label="Name" errors={nameErrors} help="Up to 26 lowercase letters, digits or dashes, starting with a letter.">
            <input {...described(id('name'), nameErrors)} value={d.name} onChange={(e) => set({ name: e.target.value })} spellCheck={false} autoComplete="off" />
          </Field>
          <div className="field">
            <span className="label" id={id('source-label')}>
              Runs from
            </span>
            <div className="segmented" role="radiogroup" aria-labelledby={id('source-label')}>
              <label>
                <input type="radio" name={id('source')} checked={!usesEnvironment} onChange={() => set({ image: usesEnvironment ? '' : d.image })} /> an image
              </label>
              <label>
                <input type="radio" name={id('source')} checked={usesEnvironment} onChange={() => set({ image: 'environment@' })} /> an environment
              </label>
            </div>
            <p className="help"> </p>
          </div>
          {usesEnvironment ? (
            <Field id={id('image')} label="Environment" errors={messagesFor(errors, 'image')} help="Built from the project's environments; its image is pinned when the session starts.">
              {props.environments && props.environments.length > 0 ? (
                <select {...described(id('image'), messagesFor(errors, 'image'))} value={d.image} onChange={(e) => set({ image: e.target.value })}>
                  <option value="environment@">Choose an environment…</option>
                  {props.environments.map((env) => (
                    <option key={env.uuid} value={`environment@${env.uuid}`}>
                      {env.name ?? env.uuid}
                    </option>
                  ))}
                </select>
              ) : (
                <input {...described(id('image'), messagesFor(errors, 'image'))} value={d.image} onChange={(e) => set({ image: e.target.value })} spellCheck={false} />
              )}
            </Field>
          ) : (
            <Field id={id('image')} label="Image" errors={messagesFor(errors, 'image')} help="e.g. redis, postgres:16, or any image reference.">
              <input {...described(id('image'), messagesFor(errors, 'image'))} value={d.image} onChange={(e) => set({ image: e.target.value })} spellCheck={false} />
            </Field>
          )}
        </div>
        <div className="grid-command">
          <Field id={id('command')} label="Command" errors={messagesFor(errors, 'command')} help="One executable, never split (arguments go in Arguments). Empty: the image's entrypoint.">
            <input {...described(id('command'), messagesFor(errors, 'command'))} value={d.command} onChange={(e) => set({ command: e.target.value })} spellCheck={false} className="mono" />
          </Field>
          <Field id={id('args')} label="Arguments" errors={messagesFor(errors, 'args')} help="Split like a shell does; $BASE_PATH_PREFIX is replaced by the service's URL prefix.">
            <GrowingTextarea {...described(id('args'), messagesFor(errors, 'args'))} value={d.args} onChange={(e) => set({ args: e.target.value })} spellCheck={false} className="mono" />
          </Field>
        </div>
        <fieldset className="inline-fieldset">
          <legend>Scope</legend>
          {(['interactive', 'noninteractive'] as Scope[]).map((scope) => (
            <label key={scope} className="check">
              <input type="checkbox" checked={d.scope.includes(scope)} onChange={(e) => set({ scope: toggle(d.scope, scope, e.target.checked) })} />
              {scope === 'interactive' ? 'Interactive sessions' : 'Job runs'}
            </label>
          ))}
          <FieldMessages errors={messagesFor(errors, 'scope')} help="Where the service starts." />
        </fieldset>
      </fieldset>

      <fieldset>
        <legend>Network</legend>
        <div className="ports">
          {d.ports.map((port, index) => {
            const portErrors = errors.get(`ports[${index}]`);
            return (
              <Field key={index} id={id(`port-${index}`)} label={`Port ${index + 1}`} errors={portErrors} className="port-field">
                <div className="input-with-button">
                  <input
                    {...described(id(`port-${index}`), portErrors)}
                    inputMode="numeric"
                    value={port}
                    onChange={(e) => set({ ports: d.ports.map((p, i) => (i === index ? e.target.value : p)) })}
                    className="mono"
                  />
                  <button type="button" className="small" onClick={() => set({ ports: d.ports.filter((_, i) => i !== index) })}>
                    Remove<span className="sr-only"> port {index + 1}</span>
                  </button>
                </div>
              </Field>
            );
          })}
          <button type="button" className="small add-port" onClick={() => set({ ports: [...d.ports, ''] })}>
            Add port
          </button>
        </div>
        <FieldMessages errors={errors.get('ports') ?? []} help="The ports the service listens on." />
        <div className="checks">
          <label className="check">
            <input type="checkbox" checked={d.exposed} onChange={(e) => set({ exposed: e.target.checked })} /> Exposed: reachable through Berth at its URL
          </label>
          <label className="check">
            <input type="checkbox" checked={d.requiresAuth} disabled={!d.exposed} onChange={(e) => set({ requiresAuth: e.target.checked })} /> Requires
            authentication (only signed-in users reach it)
          </label>
          <label className="check">
            <input type="checkbox" checked={d.preserveBasePath} disabled={!d.exposed} onChange={(e) => set({ preserveBasePath: e.target.checked })} /> Preserve
            base path (the service sees the full URL path)
          </label>
        </div>
        <FutureUrls draft={d} sessionUuid={props.sessionUuid} />
      </fieldset>

      <fieldset>
        <legend>Environment variables</legend>
        {d.env.length === 0 ? <p className="muted small-text">None. They are saved in the pipeline file: no secrets here; inherit those instead.</p> : null}
        {d.env.map((entry, index) => (
          <div key={index} className="env-row">
            <Field id={id(`env-key-${index}`)} label="Name" errors={[]}>
              <input
                {...described(id(`env-key-${index}`))}
                value={entry.key}
                className="mono"
                onChange={(e) => set({ env: d.env.map((v, i) => (i === index ? { ...v, key: e.target.value } : v)) })}
              />
            </Field>
            <Field id={id(`env-value-${index}`)} label="Value" errors={[]}>
              <input
                {...described(id(`env-value-${index}`))}
                value={entry.value}
                className="mono"
                onChange={(e) => set({ env: d.env.map((v, i) => (i === index ? { ...v, value: e.target.value } : v)) })}
              />
            </Field>
            <button type="button" className="small" onClick={() => set({ env: d.env.filter((_, i) => i !== index) })}>
              Remove<span className="sr-only"> variable {entry.key}</span>
            </button>
          </div>
        ))}
        <FieldMessages errors={messagesFor(errors, 'env_variables')} />
        <button type="button" className="small" onClick={() => set({ env: [...d.env, { key: '', value: '' }] })}>
          Add variable
        </button>
        <fieldset className="inline-fieldset">
          <legend>Inherited from the project and pipeline</legend>
          {inheritChoices.length === 0 ? <p className="muted small-text">No project or pipeline variables are defined yet.</p> : null}
          {inheritChoices.map((name) => (
            <label key={name} className="check mono">
              <input type="checkbox" checked={d.inherit.includes(name)} onChange={(e) => set({ inherit: toggle(d.inherit, name, e.target.checked) })} />
              {name}
              {!props.inheritable.includes(name) ? <span className="muted"> (not defined)</span> : null}
            </label>
          ))}
          <FieldMessages errors={messagesFor(errors, 'env_variables_inherit')} help="Values stay secret: copied in when the session starts, never written to the file." />
        </fieldset>
      </fieldset>

      <fieldset>
        <legend>Mounts</legend>
        <MountRow id={id('mount-project')} label="Project directory" mount={d.projectMount} errors={errors.get('binds') ?? []} onChange={(m) => set({ projectMount: m })} />
        <MountRow id={id('mount-data')} label="Data directory (shared /data)" mount={d.dataMount} errors={[]} onChange={(m) => set({ dataMount: m })} />
      </fieldset>

      <fieldset>
        <legend>Start order and readiness</legend>
        <div className="form-grid">
          <Field id={id('readiness')} label="Ready when" errors={messagesFor(errors, 'readiness')} help="A session is running when every service is ready.">
            <select {...described(id('readiness'), messagesFor(errors, 'readiness'))} value={d.readiness.type} onChange={(e) => setReadiness({ type: e.target.value as ReadinessKind })}>
              {READINESS.map((r) => (
                <option key={r.value} value={r.value}>
                  {r.label}
                </option>
              ))}
            </select>
          </Field>
          {d.readiness.type === 'port' ? (
            <Field id={id('ready-ports')} label="Ports to check" help="Comma-separated; empty: all ports.">
              <input {...described(id('ready-ports'))} value={d.readiness.ports} onChange={(e) => setReadiness({ ports: e.target.value })} className="mono" />
            </Field>
          ) : null}
          {d.readiness.type === 'http' ? (
            <>
              <Field id={id('ready-port')} label="HTTP port" help="Empty: the first port.">
                <input {...described(id('ready-port'))} value={d.readiness.port} onChange={(e) => setReadiness({ port: e.target.value })} className="mono" />
              </Field>
              <Field id={id('ready-path')} label="HTTP path" help="e.g. /healthz">
                <input {...described(id('ready-path'))} value={d.readiness.path} onChange={(e) => setReadiness({ path: e.target.value })} className="mono" />
              </Field>
              <Field id={id('ready-status')} label="Accepted status codes" help="Comma-separated; empty: 2xx and 3xx.">
                <input {...described(id('ready-status'))} value={d.readiness.status} onChange={(e) => setReadiness({ status: e.target.value })} className="mono" />
              </Field>
            </>
          ) : null}
          {d.readiness.type === 'log' ? (
            <Field id={id('ready-pattern')} label="Log line pattern" help="A regular expression.">
              <input {...described(id('ready-pattern'))} value={d.readiness.pattern} onChange={(e) => setReadiness({ pattern: e.target.value })} className="mono" />
            </Field>
          ) : null}
          {d.readiness.type === 'command' ? (
            <Field id={id('ready-command')} label="Command" help="Runs inside the service; split on spaces.">
              <input {...described(id('ready-command'))} value={d.readiness.command} onChange={(e) => setReadiness({ command: e.target.value })} className="mono" />
            </Field>
          ) : null}
          {d.readiness.type ? (
            <Field id={id('ready-timeout')} label="Start timeout (seconds)" help="Default 60; then the service fails with its last log lines.">
              <input {...described(id('ready-timeout'))} value={d.readiness.timeout} inputMode="numeric" onChange={(e) => setReadiness({ timeout: e.target.value })} className="mono" />
            </Field>
          ) : null}
        </div>
        <fieldset className="inline-fieldset">
          <legend>Starts after these services are ready</legend>
          {props.otherNames.length === 0 ? <p className="muted small-text">No other services.</p> : null}
          {[...new Set([...props.otherNames, ...d.dependsOn])].map((name) => (
            <label key={name} className="check">
              <input type="checkbox" checked={d.dependsOn.includes(name)} onChange={(e) => set({ dependsOn: toggle(d.dependsOn, name, e.target.checked) })} />
              {name}
            </label>
          ))}
          <FieldMessages errors={messagesFor(errors, 'depends_on')} />
        </fieldset>
      </fieldset>

      <div className="form-footer">
        <button type="button" className="danger" onClick={props.onRemove}>
          Remove service {d.name}
        </button>
      </div>
    </div>
  );
}

function FieldMessages(props: { errors: string[]; help?: string }) {
  if (props.errors.length) {
    return (
      <p className="field-error" role="alert">
        {props.errors.join(' ')}
      </p>
    );
  }
  return props.help ? <p className="help">{props.help}</p> : null;
}

function MountRow(props: { id: string; label: string; mount: { on: boolean; path: string }; errors: string[]; onChange: (m: { on: boolean; path: string }) => void }) {
  return (
    <div className="mount-row">
      <label className="check">
        <input type="checkbox" checked={props.mount.on} onChange={(e) => props.onChange({ ...props.mount, on: e.target.checked })} /> Mount the {props.label.toLowerCase()}
      </label>
      <Field id={props.id} label={`${props.label}: path inside the service`} errors={props.errors}>
        <input {...described(props.id, props.errors)} value={props.mount.path} disabled={!props.mount.on} onChange={(e) => props.onChange({ ...props.mount, path: e.target.value })} className="mono" />
      </Field>
    </div>
  );
}

function FutureUrls(props: { draft: ServiceDraft; sessionUuid: string | null }) {
  const { draft: d } = props;
  const ports = d.ports.map((p) => Number(p)).filter((p) => Number.isInteger(p) && p > 0 && p < 65536);
  if (!d.exposed) return <p className="muted small-text">Not exposed: steps and other services reach it by its host name; there is no URL.</p>;
  if (!props.sessionUuid || !d.name || ports.length === 0) return null;
  return (
    <div className="future-urls small-text">
      <span className="muted">URLs in this pipeline's session:</span>
      <ul>
        {ports.map((port) => (
          <li key={port} className="mono">
            {absolute(serviceUrl(d.name, props.sessionUuid!, port, d.preserveBasePath))}
          </li>
        ))}
      </ul>
    </div>
  );
}
