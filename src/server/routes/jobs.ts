/**
 * Jobs API: create/list/get jobs, start runs, run status (steps and services), step logs, cancel,
 * and interactive pipeline runs (selected steps inside the running session of a pipeline).
 */
import type { FastifyInstance } from 'fastify';
import { parseEnvAssignments, parseParameterAssignments, type JobParameters, type Jobs } from '../../jobs/index.ts';
import type { CoreStore } from '../../store/index.ts';
import type { Projects } from '../projects.ts';
import { followFile, readTail } from '../log-files.ts';
import { queryCount } from '../ids.ts';

export interface JobRoutesDeps {
  store: CoreStore;
  projects: Projects;
  jobs: Jobs;
}

interface CreateJobBody {
  project?: string;
  pipeline?: string;
  name?: string;
  /** `key=value` / `<step>.key=value` assignments, as the CLI's --param. */
  params?: string[];
  /** Or structured: { pipeline: {...}, steps: { <step uuid>: {...} } }. */
  parameters?: JobParameters;
  /** `NAME=VALUE` assignments or an object: overrides of the project+pipeline vars copied now. */
  env?: string[] | Record<string, string>;
}

export function registerJobRoutes(app: FastifyInstance, deps: JobRoutesDeps): void {
  const { projects, jobs } = deps;

  app.get('/api/jobs', async (request) => {
    const { project } = request.query as { project?: string };
    return { jobs: jobs.listJobs(project ? projects.get(project).uuid : undefined) };
  });

  app.post('/api/jobs', async (request, reply) => {
    const body = (request.body ?? {}) as CreateJobBody;
    const { project, pipeline } = await projects.fromBody(body, '{"project": "demo", "pipeline": "demo.orchest", "params": ["greeting=hi"], "env": ["TOKEN=x"]}');
    const fromAssignments = parseParameterAssignments(body.params ?? [], pipeline.spec);
    const parameters: JobParameters = {
      pipeline: { ...(body.parameters?.pipeline ?? {}), ...fromAssignments.pipeline },
      steps: { ...(body.parameters?.steps ?? {}) },
    };
    for (const [step, values] of Object.entries(fromAssignments.steps)) parameters.steps[step] = { ...parameters.steps[step], ...values };
    const env = Array.isArray(body.env) ? parseEnvAssignments(body.env) : (body.env ?? {});
    const job = jobs.createJob({
      projectUuid: project.uuid,
      pipelinePath: pipeline.path,
      spec: pipeline.spec,
      ...(body.name ? { name: body.name } : {}),
      env,
      parameters,
    });
    return reply.code(201).send({ job });
  });

  app.get('/api/jobs/:job', async (request) => {
    const { job } = request.params as { job: string };
    const { reveal } = request.query as { reveal?: string };
    return { job: jobs.getJob(job, { reveal: reveal === '1' }) };
  });

  app.delete('/api/jobs/:job', async (request) => {
    const { job } = request.params as { job: string };
    return { deleted: await jobs.deleteJob(job) };
  });

  app.post('/api/jobs/:job/runs', async (request, reply) => {
    const { job } = request.params as { job: string };
    return reply.code(202).send({ run: await jobs.startRun(job) });
  });

  app.get('/api/jobs/:job/runs', async (request) => {
    const { job } = request.params as { job: string };
    return { runs: jobs.listRuns({ job }) };
  });

  app.get('/api/runs', async (request) => {
    const query = request.query as { job?: string; project?: string; active?: string };
    return {
      runs: jobs.listRuns({
        ...(query.job ? { job: query.job } : {}),
        ...(query.project ? { projectUuid: projects.get(query.project).uuid } : {}),
        ...(query.active === '1' ? { activeOnly: true } : {}),
      }),
    };
  });

  app.get('/api/runs/:run', async (request) => {
    const { run } = request.params as { run: string };
    return { run: jobs.getRun(run) };
  });

  app.post('/api/runs/:run/cancel', async (request) => {
    const { run } = request.params as { run: string };
    return { run: await jobs.cancelRun(run) };
  });

  app.get('/api/runs/:run/steps/:step/logs', async (request, reply) => {
    const { run, step } = request.params as { run: string; step: string };
    const query = request.query as { follow?: string; tail?: string };
    const tail = queryCount(query.tail, 'tail');
    const file = jobs.stepLogFile(run, step);
    if (query.follow !== '1') {
      reply.type('text/plain; charset=utf-8');
      return readTail(file, tail);
    }
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
    const controller = new AbortController();
    request.raw.on('close', () => controller.abort());
    const stepDone = () => {
      const current = jobs.getRun(run).steps.find((s) => s.stepUuid === step || s.title === step);
      return jobs.isFinished(run) || (current !== undefined && current.status !== 'running' && current.status !== 'pending');
    };
    void followFile(file, { tail, signal: controller.signal, ended: stepDone, write: (chunk) => raw.write(chunk) }).finally(() => raw.end());
  });

  app.post('/api/pipeline-runs', async (request, reply) => {
    const body = (request.body ?? {}) as { project?: string; pipeline?: string; steps?: string[] };
    const { project, pipeline } = await projects.fromBody(body, '{"project": "demo", "pipeline": "demo.orchest", "steps": ["Prepare"]}');
    const run = await jobs.runPipelineSteps({
      projectUuid: project.uuid,
      pipelinePath: pipeline.path,
      spec: pipeline.spec,
      ...(body.steps && body.steps.length ? { stepIds: body.steps } : {}),
    });
    return reply.code(202).send({ run });
  });
}
