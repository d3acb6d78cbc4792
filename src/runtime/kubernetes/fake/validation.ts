/**
 * The fake's server-side validation, worded like kube-apiserver's (apimachinery's
 * `validation.IsDNS1123Subdomain`, `IsQualifiedName`, `IsValidLabelValue`, `IsEnvVarName`, …):
 * what it refuses, a real cluster refuses with 422 `Invalid` and one `details.causes[]` entry
 * per field. Only the rules Berth's objects can break are here.
 */
import type { Cause, Obj, PodSpec, PodTemplate } from './statuses.ts';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

const MESSAGES = {
  label: "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
  subdomain:
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  dns1035: "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
  qualified: "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
  labelValue: "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
  env: "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')",
  portName: "must contain only lowercase alphanumeric characters (a-z, 0-9), and '-', must contain at least one letter (a-z), must not start or end with a hyphen, must not contain consecutive hyphens, and must be no more than 15 characters",
  configKey: "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
};

type Check = (field: string, value: string) => Cause[];

function invalid(field: string, value: unknown, message: string): Cause {
  return { reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${message}`, field };
}

function matching(pattern: RegExp, message: string, max: number): Check {
  return (field, value) => {
    const causes: Cause[] = [];
    if (value.length > max) causes.push(invalid(field, value, `must be no more than ${max} characters`));
    if (!pattern.test(value)) causes.push(invalid(field, value, message));
    return causes;
  };
}

const dnsLabel = matching(DNS1123_LABEL, MESSAGES.label, 63);
const dnsSubdomain = matching(DNS1123_SUBDOMAIN, MESSAGES.subdomain, 253);
const dns1035Label = matching(DNS1035_LABEL, MESSAGES.dns1035, 63);

/** `prefix/name` as label and annotation keys: the prefix a DNS subdomain, the name a qualified name of at most 63. */
function qualifiedKey(field: string, key: string): Cause[] {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const causes: Cause[] = [];
  if (prefix !== undefined && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) causes.push(invalid(field, key, `prefix part ${MESSAGES.subdomain}`));
  if (name.length > 63) causes.push(invalid(field, key, 'name part must be no more than 63 characters'));
  if (!QUALIFIED_NAME.test(name)) causes.push(invalid(field, key, MESSAGES.qualified));
  return causes;
}

function labels(field: string, map: Record<string, string> | undefined): Cause[] {
  return Object.entries(map ?? {}).flatMap(([key, value]) => [
    ...qualifiedKey(field, key),
    ...(String(value).length > 63 ? [invalid(`${field}`, value, 'must be no more than 63 characters')] : []),
    ...(LABEL_VALUE.test(String(value)) ? [] : [invalid(field, value, MESSAGES.labelValue)]),
  ]);
}

function portName(field: string, name: string): Cause[] {
  const ok = name.length <= 15 && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name) && /[a-z]/.test(name) && !name.includes('--');
  return ok ? [] : [invalid(field, name, MESSAGES.portName)];
}

type Container = { name?: string; env?: { name?: string }[]; ports?: { name?: string }[]; volumeMounts?: { name?: string }[] };

function podSpec(field: string, spec: PodSpec | undefined): Cause[] {
  if (!spec) return [{ reason: 'FieldValueRequired', message: 'Required value', field }];
  const volumes = new Set(((spec.volumes as { name?: string }[] | undefined) ?? []).map((v) => v.name));
  const causes: Cause[] = ((spec.volumes as { name?: string }[] | undefined) ?? []).flatMap((v, i) => dnsLabel(`${field}.volumes[${i}].name`, v.name ?? ''));
  for (const kind of ['initContainers', 'containers'] as const) {
    const containers = (spec[kind] as Container[] | undefined) ?? [];
    containers.forEach((c, i) => {
      const at = `${field}.${kind}[${i}]`;
      causes.push(...dnsLabel(`${at}.name`, c.name ?? ''));
      (c.env ?? []).forEach((e, j) => {
        if (!ENV_VAR_NAME.test(e.name ?? '')) causes.push(invalid(`${at}.env[${j}].name`, e.name ?? '', MESSAGES.env));
      });
      (c.ports ?? []).forEach((p, j) => {
        if (p.name !== undefined) causes.push(...portName(`${at}.ports[${j}].name`, p.name));
      });
      (c.volumeMounts ?? []).forEach((m, j) => {
        if (!volumes.has(m.name)) causes.push({ reason: 'FieldValueInvalid', message: `Not found: ${JSON.stringify(m.name)}`, field: `${at}.volumeMounts[${j}].name` });
      });
    });
  }
  return causes;
}

function template(field: string, value: PodTemplate | undefined): Cause[] {
  return [...labels(`${field}.metadata.labels`, value?.metadata?.labels), ...podSpec(`${field}.spec`, value?.spec)];
}

/** Every cause the API server would give for creating `object` as `resource`; empty when it is valid. */
export function validate(resource: string, object: Obj): Cause[] {
  const name = object.metadata?.name ?? '';
  const causes: Cause[] = [];
  if (!name) causes.push({ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' });
  // Service names become DNS labels; a Job's name becomes its pods' `job-name` label value.
  else if (resource === 'services') causes.push(...dns1035Label('metadata.name', name));
  else if (resource === 'jobs') causes.push(...dnsSubdomain('metadata.name', name), ...(name.length > 63 ? [invalid('metadata.name', name, 'must be no more than 63 characters')] : []));
  else causes.push(...dnsSubdomain('metadata.name', name));
  causes.push(...labels('metadata.labels', object.metadata?.labels));
  causes.push(...Object.keys(object.metadata?.annotations ?? {}).flatMap((key) => qualifiedKey('metadata.annotations', key)));
  const spec = object.spec as Record<string, unknown> | undefined;
  if (resource === 'pods') causes.push(...podSpec('spec', spec as PodSpec | undefined));
  if (resource === 'deployments' || resource === 'replicasets' || resource === 'jobs') {
    const tpl = spec?.template as PodTemplate | undefined;
    causes.push(...template('spec.template', tpl));
    const selector = (spec?.selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels;
    if (resource !== 'jobs') {
      if (!selector || Object.keys(selector).length === 0) causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.selector' });
      else if (Object.entries(selector).some(([k, v]) => tpl?.metadata?.labels?.[k] !== v)) {
        causes.push(invalid('spec.template.metadata.labels', tpl?.metadata?.labels ?? {}, '`selector` does not match template `labels`'));
      }
    }
  }
  if (resource === 'services') {
    const ports = (spec?.ports as { name?: string }[] | undefined) ?? [];
    ports.forEach((p, i) => {
      if (p.name === undefined && ports.length > 1) causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: `spec.ports[${i}].name` });
      else if (p.name !== undefined) causes.push(...dnsLabel(`spec.ports[${i}].name`, p.name));
    });
    causes.push(...labels('spec.selector', spec?.selector as Record<string, string> | undefined));
  }
  if (resource === 'configmaps' || resource === 'secrets') {
    for (const field of ['data', 'stringData', 'binaryData']) {
      for (const key of Object.keys((object[field] as Record<string, unknown> | undefined) ?? {})) {
        if (!CONFIG_KEY.test(key) || key.length > 253) causes.push(invalid(`${field}[${key}]`, key, MESSAGES.configKey));
      }
    }
  }
  return causes;
}

/** The Status body of a 422, as kube-apiserver writes it: `Kind.group "name" is invalid: [field: message, …]`. */
export function invalidStatus(kind: string, group: string, name: string, causes: Cause[]): { message: string; details: Record<string, unknown> } {
  const qualified = group ? `${kind}.${group}` : kind;
  const listed = causes.map((c) => `${c.field}: ${c.message}`);
  const message = `${qualified} "${name}" is invalid: ${listed.length === 1 ? listed[0] : `[${listed.join(', ')}]`}`;
  return { message, details: { name, group, kind, causes } };
}
