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
import * as schemas from './schemas.ts';
import type { CreateJobBody, JobParams, ListJobsQuery, ListRunsQuery, LogQuery, PipelineRunBody, RevealQuery, RunParams, StepParams } from './schemas.ts';

export interface JobRoutesDeps {
  store: CoreStore;
  projects: Projects;
  jobs: Jobs;
}

export function registerJobRoutes(app: FastifyInstance, deps: JobRoutesDeps): void {
  const { projects, jobs } = deps;

  app.get<{ Querystring: ListJobsQuery }>('/api/jobs', { schema: schemas.listJobs }, async (request) => {
    const { project } = request.query;
    return { jobs: jobs.listJobs(project ? projects.get(project).uuid : undefined) };
  });

  app.post<{ Body: CreateJobBody }>('/api/jobs', { schema: schemas.createJob }, async (request, reply) => {
    const body = request.body;
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

  app.get<{ Params: JobParams; Querystring: RevealQuery }>('/api/jobs/:job', { schema: schemas.getJob }, async (request) => {
    const { job } = request.params;
    const { reveal } = request.query;
    return { job: jobs.getJob(job, { reveal: reveal === '1' }) };
  });

  app.delete<{ Params: JobParams }>('/api/jobs/:job', { schema: schemas.deleteJob }, async (request) => {
    const { job } = request.params;
    return { deleted: await jobs.deleteJob(job) };
  });

  app.post<{ Params: JobParams }>('/api/jobs/:job/runs', { schema: schemas.startRun }, async (request, reply) => {
    const { job } = request.params;
    return reply.code(202).send({ run: await jobs.startRun(job) });
  });

  app.get<{ Params: JobParams }>('/api/jobs/:job/runs', { schema: schemas.listJobRuns }, async (request) => {
    const { job } = request.params;
    return { runs: jobs.listRuns({ job }) };
  });

  app.get<{ Querystring: ListRunsQuery }>('/api/runs', { schema: schemas.listRuns }, async (request) => {
    const query = request.query;
    return {
      runs: jobs.listRuns({
        ...(query.job ? { job: query.job } : {}),
        ...(query.project ? { projectUuid: projects.get(query.project).uuid } : {}),
        ...(query.active === '1' ? { activeOnly: true } : {}),
      }),
    };
  });

  app.get<{ Params: RunParams }>('/api/runs/:run', { schema: schemas.getRun }, async (request) => {
    const { run } = request.params;
    return { run: jobs.getRun(run) };
  });

  app.post<{ Params: RunParams }>('/api/runs/:run/cancel', { schema: schemas.cancelRun }, async (request) => {
    const { run } = request.params;
    return { run: await jobs.cancelRun(run) };
  });

  app.get<{ Params: StepParams; Querystring: LogQuery }>('/api/runs/:run/steps/:step/logs', { schema: schemas.stepLogs }, async (request, reply) => {
    const { run, step } = request.params;
    const query = request.query;
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

  app.post<{ Body: PipelineRunBody }>('/api/pipeline-runs', { schema: schemas.startPipelineRun }, async (request, reply) => {
    const body = request.body;
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
