import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { serverConfigSchema } from '../config';

/**
 * Docker cannot run on the development machines, so the deployment material is checked by
 * reading it: docker-compose.yml, the Dockerfile, infra/k8s, infra/prometheus, infra/grafana.
 * These tests prove that the files are consistent with each other and with the code (config
 * keys, metric names, CLI roles); they do not prove that the stack starts.
 */

const repo = path.resolve(__dirname, '..', '..', '..');
const read = (file: string) => readFileSync(path.join(repo, file), 'utf8');
type Json = Record<string, unknown>;
const obj = (value: unknown): Json => (value ?? {}) as Json;
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

// ---- what the code defines ------------------------------------------------------------------

/**
 * Keys announced for the production profile that another change adds to the config schema
 * (Kafka transport, EventStoreDB, Elasticsearch adapters). They are allowed here until then.
 */
const CONFIG_KEYS_BEING_ADDED = ['KAFKA_BROKERS', 'ESDB_URL', 'ELASTICSEARCH_URL', 'PROJECTION_SOURCE'];
const configKeys = new Set([...Object.keys(serverConfigSchema.innerType().shape), ...CONFIG_KEYS_BEING_ADDED]);

/** Connection strings and keys: only ever from a Secret (k8s), never in a ConfigMap or a literal value. */
const SECRET_KEYS = ['DATABASE_URL', 'REDIS_URL', 'ESDB_URL', 'ELASTICSEARCH_URL', 'JWT_PRIVATE_KEY_PEM', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'BACKUP_KEY', 'ELASTIC_APM_SECRET_TOKEN'];

/** The roles `neuroerp start --role` accepts (the Dockerfile targets and k8s Deployments use them). */
const START_ROLES = ['all', 'command-api', 'query-api', 'projections', 'relay'];

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) files.push(...sourceFiles(full));
    else if (full.endsWith('.ts') && !full.endsWith('.test.ts')) files.push(full);
  }
  return files;
}

/** Metric names registered with prom-client in our packages' sources (`new Counter({ name: '...' })` and the like). */
const sourceText = ['schemas', 'domains', 'infra', 'command-api', 'projections', 'query-api', 'scripts']
  .flatMap((pkg) => sourceFiles(path.join(repo, pkg, 'src')))
  .map((file) => readFileSync(file, 'utf8'));
const codeMetrics = new Set(
  sourceText.flatMap((text) => [
    ...[...text.matchAll(/new (?:Counter|Gauge|Histogram|Summary)\s*\(\s*\{\s*name:\s*'([a-z_:][a-z0-9_:]*)'/g)].map((match) => match[1] as string),
    // Metrics built by a helper: any `name: '<metric_name>'` in a file that uses prom-client.
    ...(text.includes("from 'prom-client'") ? [...text.matchAll(/\bname:\s*'([a-z][a-z0-9]*(?:_[a-z0-9]+)+)'/g)].map((match) => match[1] as string) : []),
  ]),
);
const histograms = new Set(sourceText.flatMap((text) => [...text.matchAll(/new Histogram\s*\(\s*\{\s*name:\s*'([a-z_:][a-z0-9_:]*)'/g)].map((match) => match[1] as string)));

/** prom-client's default metrics, exported wherever `collectDefaultMetrics` is called; their names are read from prom-client itself. */
const defaultMetrics = new Set<string>();
if (sourceText.some((text) => text.includes('collectDefaultMetrics('))) {
  const promClientMetrics = path.join(path.dirname(require.resolve('prom-client/package.json')), 'lib', 'metrics');
  for (const file of readdirSync(promClientMetrics).filter((name) => name.endsWith('.js'))) {
    for (const match of readFileSync(path.join(promClientMetrics, file), 'utf8').matchAll(/'((?:process|nodejs)_[a-z0-9_]+)'/g)) defaultMetrics.add(match[1] as string);
  }
}

/** The relay deployable (another change) defines relay_lag_events; until its command exists the name is expected, not found. */
const relayCommandExists = existsSync(path.join(repo, 'scripts', 'src', 'commands', 'relay.ts'));
const metricsNotYetInCode = new Set(relayCommandExists ? [] : ['relay_lag_events']);

function isDefinedMetric(name: string): boolean {
  if (name === 'up' || codeMetrics.has(name) || defaultMetrics.has(name) || metricsNotYetInCode.has(name)) return true;
  const base = name.replace(/_(bucket|count|sum)$/, '');
  return base !== name && histograms.has(base);
}

const PROMQL_WORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan']);

/** The metric names a PromQL expression reads (labels, functions, strings and ranges removed). */
function promqlMetricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/\[[^\]]*\]/g, '');
  const names: string[] = [];
  for (const match of stripped.matchAll(/(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const name = match[1] as string;
    if (match[2] !== undefined || PROMQL_WORDS.has(name.toLowerCase())) continue;
    names.push(name);
  }
  return names;
}

// ---- docker-compose.yml ---------------------------------------------------------------------

const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Json>; volumes?: Json };
const services = compose.services;
const NEUROERP_SERVICES = ['command-api', 'query-api', 'projections', 'relay'];
const SERVERS = ['eventstore', 'kafka', 'postgres', 'elasticsearch', 'redis', 'prometheus', 'grafana', 'jaeger', 'minio'];

function assertPinned(image: unknown, where: string): void {
  expect(typeof image).toBe('string');
  const text = image as string;
  // name[:tag][@digest]; the tag is after the last slash.
  const lastSegment = text.split('/').pop() as string;
  const tag = lastSegment.includes(':') ? (lastSegment.split(':')[1] as string).split('@')[0] : undefined;
  if (tag === undefined || tag === '' || tag === 'latest') throw new Error(`${where}: image ${text} is not pinned to a tag`);
}

describe('docker-compose.yml', () => {
  it('starts every server, the four deployables and the UI', () => {
    expect(Object.keys(services).sort()).toEqual([...SERVERS, ...NEUROERP_SERVICES, 'ui'].sort());
  });

  it.each(Object.keys(services))('%s: image pinned by tag (never latest), with a healthcheck', (name) => {
    const service = services[name] as Json;
    assertPinned(service.image, `service ${name}`);
    const healthcheck = obj(service.healthcheck);
    expect(Array.isArray(healthcheck.test) || typeof healthcheck.test === 'string').toBe(true);
    expect(healthcheck.interval).toBeDefined();
    expect(healthcheck.retries).toBeGreaterThan(0);
  });

  it('publishes the documented host ports, each once', () => {
    const published = Object.entries(services).flatMap(([name, service]) => list(service.ports).map((port) => [name, String(port)] as const));
    const hostPorts = published.map(([, port]) => port.split(':')[0]);
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
    const portsOf = (name: string) => published.filter(([service]) => service === name).map(([, port]) => port);
    expect(portsOf('ui')).toEqual(['8080:8080']);
    expect(portsOf('command-api')).toEqual(['8081:8080']);
    expect(portsOf('query-api')).toEqual(['8082:8080']);
    expect(portsOf('projections')).toEqual(['8083:8080']);
    expect(portsOf('relay')).toEqual(['8084:8080']);
    // The production-adapters workflow and the README use these.
    expect(portsOf('postgres')).toEqual(['55432:5432']);
    expect(portsOf('eventstore')).toEqual(['2113:2113']);
    expect(portsOf('grafana')).toEqual(['3000:3000']);
    expect(portsOf('jaeger')).toEqual(expect.arrayContaining(['16686:16686', '4318:4318']));
  });

  it.each(NEUROERP_SERVICES)('%s: every environment variable is a key of the config schema', (name) => {
    const environment = obj(services[name]?.environment);
    const unknown = Object.keys(environment).filter((key) => !configKeys.has(key));
    expect(unknown).toEqual([]);
    expect(environment).toHaveProperty('DATABASE_URL');
    expect(environment).toHaveProperty('KAFKA_BROKERS');
    expect(environment).toHaveProperty('OTEL_EXPORTER_OTLP_ENDPOINT');
  });

  it('points the deployables at the compose servers', () => {
    const environment = obj(services['command-api']?.environment);
    expect(environment.DATABASE_URL).toMatch(/@postgres:5432\//);
    expect(environment.ESDB_URL).toContain('esdb://eventstore:2113');
    expect(environment.KAFKA_BROKERS).toContain('kafka:9092');
    expect(environment.ELASTICSEARCH_URL).toContain('http://elasticsearch:9200');
    expect(environment.REDIS_URL).toContain('redis://redis:6379');
    expect(environment.OTEL_EXPORTER_OTLP_ENDPOINT).toContain('http://jaeger:4318');
  });

  it('builds each deployable from a Dockerfile target and waits only for services with a healthcheck', () => {
    const targets = dockerfileTargets();
    for (const name of [...NEUROERP_SERVICES, 'ui']) {
      expect(obj(services[name]?.build).target).toBe(name);
      expect(targets.has(name)).toBe(true);
    }
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, condition] of Object.entries(obj(service.depends_on))) {
        expect({ service: name, dependency, known: dependency in services }).toEqual({ service: name, dependency, known: true });
        if (obj(condition).condition === 'service_healthy') expect(obj(services[dependency]).healthcheck).toBeDefined();
      }
    }
  });

  it('mounts the Prometheus and Grafana material from infra/', () => {
    const mounts = (name: string) => list(services[name]?.volumes).map(String);
    expect(mounts('prometheus')).toContain('./infra/prometheus:/etc/prometheus:ro');
    expect(mounts('grafana')).toEqual(expect.arrayContaining(['./infra/grafana/provisioning:/etc/grafana/provisioning:ro', './infra/grafana/dashboards:/var/lib/grafana/dashboards:ro']));
    for (const mount of [...mounts('prometheus'), ...mounts('grafana')].filter((entry) => entry.startsWith('./'))) {
      expect(existsSync(path.join(repo, mount.split(':')[0] as string))).toBe(true);
    }
  });

  it('still has every service the GitHub workflows start or read', () => {
    const workflowDir = path.join(repo, '.github', 'workflows');
    const files = readdirSync(workflowDir).filter((file) => /\.ya?ml$/.test(file));
    const named = files.flatMap((file) =>
      [...readFileSync(path.join(workflowDir, file), 'utf8').matchAll(/docker compose (?:up|logs|start|stop|restart)([^\n]*)/g)].flatMap((match) =>
        (match[1] as string).split(/\s+/).filter((word) => word !== '' && !word.startsWith('-')),
      ),
    );
    expect(named.length).toBeGreaterThan(0);
    for (const name of named) expect(Object.keys(services)).toContain(name);
  });
});

// ---- Dockerfile -----------------------------------------------------------------------------

function dockerfileStages(): { name: string; from: string; lines: string[] }[] {
  const stages: { name: string; from: string; lines: string[] }[] = [];
  for (const line of read('Dockerfile').split('\n')) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) stages.push({ from: from[1] as string, name: from[2] ?? '', lines: [] });
    else if (stages.length > 0 && !line.startsWith('#')) stages[stages.length - 1]?.lines.push(line);
  }
  return stages;
}

function dockerfileTargets(): Set<string> {
  return new Set(dockerfileStages().map((stage) => stage.name));
}

describe('Dockerfile', () => {
  const text = read('Dockerfile');
  const stages = dockerfileStages();
  const stage = (name: string) => stages.find((candidate) => candidate.name === name);
  /** The stages a target builds on, itself first. */
  const chain = (name: string) => {
    const result: { name: string; from: string; lines: string[] }[] = [];
    for (let current = stage(name); current !== undefined; current = stage(current.from)) result.push(current);
    return result;
  };

  it('pins every base image by tag', () => {
    const args = new Map([...text.matchAll(/^ARG\s+(\w+)=(\S+)/gm)].map((match) => [match[1] as string, match[2] as string]));
    for (const { from } of stages) {
      if (stage(from) !== undefined) continue;
      const image = from.replace(/^\$\{(\w+)\}$/, (_all, arg: string) => args.get(arg) ?? '');
      assertPinned(image, `FROM ${from}`);
    }
  });

  it('installs and builds the monorepo once: npm ci, tsc -b, the ui build', () => {
    const build = chain('build').flatMap((part) => part.lines).join('\n');
    expect(build).toMatch(/npm ci/);
    expect(build).toMatch(/tsc -b/);
    expect(build).toMatch(/npm run build -w @neuroerp\/ui/);
    expect(stages.flatMap((part) => part.lines).filter((line) => line.includes('tsc -b'))).toHaveLength(1);
  });

  it.each([
    ['command-api', ['start', '--role', 'command-api']],
    ['query-api', ['start', '--role', 'query-api']],
    ['projections', ['start', '--role', 'projections']],
    ['relay', ['relay']],
  ])('target %s runs `neuroerp %s` as a non-root user', (target, args) => {
    const lines = chain(target).flatMap((part) => part.lines);
    const cmd = lines.find((line) => line.startsWith('CMD'));
    expect(JSON.parse((cmd as string).slice(3).trim())).toEqual(['node', 'scripts/bin/neuroerp.js', ...args]);
    const users = lines.filter((line) => line.startsWith('USER ')).map((line) => line.slice(5).trim());
    expect(users.length).toBeGreaterThan(0);
    expect(['root', '0']).not.toContain(users[0]);
    if (args[1] === '--role') expect(START_ROLES).toContain(args[2]);
  });

  it('serves the ui from nginx as a non-root user, with the built dist and the proxy config', () => {
    const ui = stage('ui');
    expect(ui?.lines).toEqual(expect.arrayContaining(['USER 101', 'COPY --from=build /app/ui/dist /usr/share/nginx/html', 'COPY infra/docker/nginx.conf /etc/nginx/conf.d/default.conf']));
    const nginx = read('infra/docker/nginx.conf');
    expect(nginx).toMatch(/listen 8080;/);
    expect(nginx).toMatch(/server command-api:8080;/);
    expect(nginx).toMatch(/server query-api:8080;/);
    expect(nginx).toMatch(/try_files \$uri \$uri\/ \/index\.html;/);
  });

  it('keeps dependencies, builds and secrets out of the build context', () => {
    const ignored = read('.dockerignore').split('\n').map((line) => line.trim());
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', '**/dist', '.git/', '.env', 'data/']));
  });
});

// ---- infra/k8s ------------------------------------------------------------------------------

const k8sDir = path.join(repo, 'infra', 'k8s');
const k8sFiles = readdirSync(k8sDir).filter((file) => file.endsWith('.yaml'));
const manifests = k8sFiles.flatMap((file) =>
  parseAllDocuments(readFileSync(path.join(k8sDir, file), 'utf8')).map((document) => {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors.map((error) => error.message).join('; ')}`);
    return { file, ...(document.toJS() as Json) } as Json & { file: string; kind: string; metadata: { name: string } };
  }),
);
const ofKind = (kind: string) => manifests.filter((manifest) => manifest.kind === kind);
const podSpecOf = (workload: Json): Json => (workload.kind === 'CronJob' ? obj(obj(obj(obj(obj(workload.spec).jobTemplate).spec).template).spec) : obj(obj(obj(workload.spec).template).spec));
const containersOf = (workload: Json) => list(podSpecOf(workload).containers).map(obj);

describe('infra/k8s', () => {
  const deployments = ofKind('Deployment');

  it('has a Deployment per deployable and a kustomization listing every manifest', () => {
    expect(deployments.map((deployment) => deployment.metadata.name).sort()).toEqual([...NEUROERP_SERVICES, 'ui'].sort());
    const kustomization = parse(readFileSync(path.join(k8sDir, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    expect([...kustomization.resources].sort()).toEqual(k8sFiles.filter((file) => file !== 'kustomization.yaml').sort());
  });

  it.each(deployments.map((deployment) => [deployment.metadata.name, deployment] as const))('Deployment %s: replicas, resources, probes, non-root', (name, deployment) => {
    // The relay has no leader election: one instance, replaced (Recreate), never two at once.
    expect(obj(deployment.spec).replicas).toBe(name === 'relay' ? 1 : 3);
    if (name === 'relay') expect(obj(obj(deployment.spec).strategy).type).toBe('Recreate');
    const pod = podSpecOf(deployment);
    expect(obj(pod.securityContext)).toMatchObject({ runAsNonRoot: true });
    expect(obj(pod.securityContext).runAsUser).toBeGreaterThan(0);
    for (const container of containersOf(deployment)) {
      assertPinned(container.image, `${name} container`);
      const resources = obj(container.resources);
      for (const kind of ['requests', 'limits']) expect(Object.keys(obj(resources[kind])).sort()).toEqual(['cpu', 'memory']);
      expect(obj(obj(container.livenessProbe).httpGet).path).toBe('/health');
      expect(obj(obj(container.readinessProbe).httpGet).path).toBe('/ready');
      for (const probe of ['livenessProbe', 'readinessProbe']) {
        const timing = obj(container[probe]);
        expect(timing.periodSeconds).toBeGreaterThanOrEqual(5);
        expect(timing.timeoutSeconds).toBeLessThan(timing.periodSeconds as number);
        expect(timing.failureThreshold).toBeGreaterThanOrEqual(3);
      }
      expect(obj(container.securityContext)).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
      if (name !== 'ui') {
        expect(list(container.args)).toEqual(name === 'relay' ? ['node', 'scripts/bin/neuroerp.js', 'relay'] : ['node', 'scripts/bin/neuroerp.js', 'start', '--role', name]);
      }
    }
  });

  it('takes connection strings and keys from Secrets only, and every variable is a config key', () => {
    const workloads = [...deployments, ...ofKind('CronJob')];
    const configMapKeys = ofKind('ConfigMap').flatMap((configMap) => Object.keys(obj(configMap.data)));
    expect(configMapKeys.filter((key) => !configKeys.has(key))).toEqual([]);
    expect(configMapKeys.filter((key) => SECRET_KEYS.includes(key))).toEqual([]);
    // No Secret with data in the repository: they are created out of band (README).
    expect(ofKind('Secret')).toEqual([]);
    for (const workload of workloads) {
      for (const container of containersOf(workload)) {
        for (const variable of list(container.env).map(obj)) {
          const name = variable.name as string;
          expect({ workload: workload.metadata.name, name, known: configKeys.has(name) }).toMatchObject({ known: true });
          if (SECRET_KEYS.includes(name)) {
            expect({ workload: workload.metadata.name, name, literal: variable.value }).toEqual({ workload: workload.metadata.name, name, literal: undefined });
            expect(obj(obj(variable.valueFrom).secretKeyRef).name).toEqual(expect.any(String));
          }
        }
        for (const source of list(container.envFrom).map(obj)) {
          const ref = obj(source.configMapRef).name;
          expect(ofKind('ConfigMap').map((configMap) => configMap.metadata.name)).toContain(ref);
        }
      }
    }
    // The API roles cannot run without the database and a shared signing key (3 replicas verify each other's tokens).
    for (const name of ['command-api', 'query-api']) {
      const env = containersOf(deployments.find((deployment) => deployment.metadata.name === name) as Json).flatMap((container) => list(container.env).map(obj));
      for (const required of ['DATABASE_URL', 'JWT_PRIVATE_KEY_PEM']) {
        expect(obj(obj(env.find((variable) => variable.name === required)?.valueFrom).secretKeyRef).optional).toBe(false);
      }
    }
  });

  it('exposes the APIs and the UI through LoadBalancer Services that select a Deployment', () => {
    const services = ofKind('Service');
    for (const name of ['command-api', 'query-api', 'ui']) expect(obj(services.find((service) => service.metadata.name === name)?.spec).type).toBe('LoadBalancer');
    for (const service of services) {
      const selector = obj(obj(service.spec).selector);
      const target = deployments.find((deployment) => Object.entries(selector).every(([key, value]) => obj(obj(obj(obj(deployment.spec).template).metadata).labels)[key] === value));
      expect(target).toBeDefined();
      const portNames = containersOf(target as Json).flatMap((container) => list(container.ports).map((port) => obj(port).name));
      for (const port of list(obj(service.spec).ports).map(obj)) expect(portNames).toContain(port.targetPort);
    }
  });

  it('autoscales every Deployment but the relay: CPU 70 %, memory 80 %, scale-up and scale-down policies', () => {
    const autoscalers = ofKind('HorizontalPodAutoscaler');
    expect(autoscalers.map((hpa) => obj(obj(hpa.spec).scaleTargetRef).name).sort()).toEqual(['command-api', 'projections', 'query-api', 'ui']);
    for (const hpa of autoscalers) {
      const spec = obj(hpa.spec);
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      expect(obj(spec.scaleTargetRef)).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment' });
      expect(spec.minReplicas).toBe(3);
      expect(spec.maxReplicas).toBeGreaterThan(3);
      const targets = Object.fromEntries(list(spec.metrics).map((metric) => [obj(obj(metric).resource).name, obj(obj(obj(metric).resource).target)]));
      expect(targets).toEqual({ cpu: { type: 'Utilization', averageUtilization: 70 }, memory: { type: 'Utilization', averageUtilization: 80 } });
      const behavior = obj(spec.behavior);
      for (const direction of ['scaleUp', 'scaleDown']) expect(list(obj(behavior[direction]).policies).length).toBeGreaterThan(0);
      expect(obj(behavior.scaleDown).stabilizationWindowSeconds).toBeGreaterThan(obj(behavior.scaleUp).stabilizationWindowSeconds as number);
    }
  });

  it('schedules the backups: full weekly on Sunday 02:00, incremental daily, prune', () => {
    const jobs = Object.fromEntries(ofKind('CronJob').map((job) => [list(containersOf(job)[0]?.args).slice(2).join(' '), obj(job.spec)]));
    expect(Object.keys(jobs).sort()).toEqual(['backup --full', 'backup --incremental', 'backup prune']);
    expect(jobs['backup --full']?.schedule).toBe('0 2 * * 0');
    expect(jobs['backup --incremental']?.schedule).toBe('0 2 * * 1-6');
    expect(jobs['backup prune']?.schedule).toMatch(/^\d+ \d+ \* \* \*$/);
    for (const job of Object.values(jobs)) expect(job.concurrencyPolicy).toBe('Forbid');
    for (const job of ofKind('CronJob')) {
      const env = containersOf(job).flatMap((container) => list(container.env).map(obj));
      // A key generated inside the job's pod would be lost with it: BACKUP_KEY is required.
      expect(obj(obj(env.find((variable) => variable.name === 'BACKUP_KEY')?.valueFrom).secretKeyRef).optional).toBeUndefined();
      expect(obj(podSpecOf(job).securityContext)).toMatchObject({ runAsNonRoot: true });
    }
  });
});

// ---- infra/prometheus -----------------------------------------------------------------------

const prometheus = parse(read('infra/prometheus/prometheus.yml')) as { scrape_configs: Json[]; rule_files: string[] };
const ruleFiles = readdirSync(path.join(repo, 'infra', 'prometheus', 'rules')).filter((file) => file.endsWith('.yml'));
const rules = ruleFiles.flatMap((file) => list((parse(read(`infra/prometheus/rules/${file}`)) as { groups: Json[] }).groups).flatMap((group) => list(obj(group).rules).map(obj)));

describe('infra/prometheus', () => {
  it('scrapes /metrics of every deployable at its compose service', () => {
    for (const name of NEUROERP_SERVICES) {
      const job = prometheus.scrape_configs.find((config) => config.job_name === name);
      expect(obj(job).metrics_path).toBe('/metrics');
      const targets = list(obj(job).static_configs).flatMap((config) => list(obj(config).targets));
      expect(targets).toEqual([`${name}:8080`]);
    }
  });

  it('loads the rule files from the mounted folder', () => {
    expect(prometheus.rule_files).toEqual(['/etc/prometheus/rules/*.yml']);
    expect(ruleFiles.length).toBeGreaterThan(0);
  });

  it('alerts on projection lag, dead letters, relay lag, error rate and p99 latency', () => {
    const expressions = rules.map((rule) => String(rule.expr));
    expect(expressions.some((expr) => expr.includes('projection_lag_events'))).toBe(true);
    expect(expressions.some((expr) => expr.includes('projection_dead_letters_total'))).toBe(true);
    expect(expressions.some((expr) => expr.includes('relay_lag_events'))).toBe(true);
    expect(expressions.some((expr) => /http_request_duration_seconds_count\{status_code=~"5\.\."\}/.test(expr))).toBe(true);
    expect(expressions.some((expr) => /histogram_quantile\(0\.99,[\s\S]*http_request_duration_seconds_bucket/.test(expr))).toBe(true);
    for (const rule of rules) {
      expect(rule.alert).toMatch(/^[A-Z][A-Za-z0-9]+$/);
      expect(['warning', 'critical']).toContain(obj(rule.labels).severity);
      expect(obj(rule.annotations).summary).toEqual(expect.any(String));
    }
  });

  it.each(rules.map((rule) => [rule.alert as string, String(rule.expr)]))('%s reads only metrics the code defines', (_alert, expr) => {
    const names = promqlMetricNames(expr);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name) => !isDefinedMetric(name))).toEqual([]);
  });

  it('finds the metric names of an expression', () => {
    expect(promqlMetricNames('sum by (job, le) (rate(http_request_duration_seconds_bucket{route!~"/api/stream.*"}[5m])) > 1')).toEqual(['http_request_duration_seconds_bucket']);
    expect(promqlMetricNames('a_total / on (job) b_count and c')).toEqual(['a_total', 'b_count', 'c']);
    expect(isDefinedMetric('no_such_metric_total')).toBe(false);
    expect(isDefinedMetric('projection_lag_events')).toBe(true);
    expect(isDefinedMetric('http_request_duration_seconds_bucket')).toBe(true);
  });

  it('expects relay_lag_events from the relay once its command exists', () => {
    if (relayCommandExists) expect(codeMetrics.has('relay_lag_events')).toBe(true);
    else expect(metricsNotYetInCode).toEqual(new Set(['relay_lag_events']));
  });
});

// ---- infra/grafana --------------------------------------------------------------------------

describe('infra/grafana', () => {
  const datasources = list((parse(read('infra/grafana/provisioning/datasources/prometheus.yml')) as { datasources: unknown[] }).datasources).map(obj);
  const providers = list((parse(read('infra/grafana/provisioning/dashboards/neuroerp.yml')) as { providers: unknown[] }).providers).map(obj);
  const dashboardFiles = readdirSync(path.join(repo, 'infra', 'grafana', 'dashboards')).filter((file) => file.endsWith('.json'));
  const dashboards = dashboardFiles.map((file) => JSON.parse(read(`infra/grafana/dashboards/${file}`)) as Json);

  it('provisions the Prometheus datasource at the compose service and loads the mounted dashboards folder', () => {
    expect(datasources.find((source) => source.type === 'prometheus')).toMatchObject({ uid: 'prometheus', url: 'http://prometheus:9090', isDefault: true });
    expect(obj(providers[0]?.options).path).toBe('/var/lib/grafana/dashboards');
  });

  it('has the System Overview dashboard with the system and event-sourcing panels', () => {
    const overview = dashboards.find((dashboard) => dashboard.title === 'System Overview');
    expect(overview).toBeDefined();
    const panels = list(overview?.panels).map(obj);
    const byTitle = Object.fromEntries(panels.map((panel) => [panel.title, panel]));
    for (const title of ['CPU usage', 'Memory (resident)', 'API response time', 'Append rate', 'Projection lag (events)', 'Relay lag', 'Dead letters']) {
      expect(byTitle[title]).toBeDefined();
    }
    expect(byTitle['API response time']?.type).toBe('heatmap');
    const ids = panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('queries only provisioned datasources and metrics the code defines', () => {
    const uids = new Set(datasources.map((source) => source.uid));
    for (const dashboard of dashboards) {
      expect(typeof dashboard.uid).toBe('string');
      for (const panel of list(dashboard.panels).map(obj).filter((candidate) => candidate.type !== 'row')) {
        expect(uids).toContain(obj(panel.datasource).uid);
        const targets = list(panel.targets).map(obj);
        expect(targets.length).toBeGreaterThan(0);
        for (const target of targets) {
          const undefinedMetrics = promqlMetricNames(String(target.expr)).filter((name) => !isDefinedMetric(name));
          expect({ panel: panel.title, undefinedMetrics }).toEqual({ panel: panel.title, undefinedMetrics: [] });
        }
      }
    }
  });
});
