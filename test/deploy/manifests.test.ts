import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exec, requireTool } from '../support/tools.js';

type K8sObject = { kind: string; metadata: { name: string; namespace?: string }; [key: string]: unknown };
type Container = {
  name: string;
  args?: string[];
  envFrom?: { configMapRef: { name: string } }[];
  volumeMounts?: { name: string; mountPath: string }[];
  readinessProbe?: { grpc?: { port: number; service?: string } };
  livenessProbe?: { grpc?: { port: number; service?: string } };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[] } };
};
type PodSpec = {
  automountServiceAccountToken?: boolean;
  securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type: string } };
  containers: Container[];
  volumes?: { name: string; projected?: { sources: { serviceAccountToken?: { path: string; audience: string; expirationSeconds: number } }[] } }[];
};

const OVERLAYS = ['k8s/server', 'k8s/client', 'k8s/overlays/gke-issuer'] as const;
const KUBERNETES_VERSIONS = ['1.30.0', '1.33.0'];
const rendered = new Map<string, K8sObject[]>();
let dir: string;

beforeAll(async () => {
  await requireTool('kubectl', 'install kubectl');
  dir = await mkdtemp(join(tmpdir(), 'wid-k8s-'));
  for (const overlay of OVERLAYS) {
    const { stdout } = await exec('kubectl', ['kustomize', overlay]);
    await writeFile(join(dir, `${overlay.replaceAll('/', '_')}.yaml`), stdout);
    rendered.set(overlay, parseAllDocuments(stdout).map((doc) => doc.toJS() as K8sObject));
  }
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const objects = (overlay: (typeof OVERLAYS)[number], kind: string) => (rendered.get(overlay) ?? []).filter((o) => o.kind === kind);
const podSpec = (overlay: (typeof OVERLAYS)[number]): PodSpec => (objects(overlay, 'Deployment')[0] as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
const configData = (overlay: (typeof OVERLAYS)[number]): Record<string, string> => (objects(overlay, 'ConfigMap')[0] as unknown as { data: Record<string, string> }).data;

describe('kustomize overlays', () => {
  it.each(KUBERNETES_VERSIONS)('render and validate strictly against the Kubernetes %s schemas', async (version) => {
    const validator = await requireTool('kubernetes-validate', 'pip install kubernetes-validate');
    const files = OVERLAYS.map((overlay) => join(dir, `${overlay.replaceAll('/', '_')}.yaml`));
    const { stdout } = await exec(validator, ['--strict', '--quiet', '-k', version, ...files]);
    expect(stdout).not.toMatch(/ERROR|WARN/);
  });

  it('the validator itself rejects a broken object (so the check above can fail)', async () => {
    const validator = await requireTool('kubernetes-validate', 'pip install kubernetes-validate');
    const broken = join(dir, 'broken.yaml');
    await writeFile(broken, 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replicas: "two", selector: {}, template: {}}\n');
    await expect(exec(validator, ['--strict', '-k', '1.33.0', broken])).rejects.toThrow();
  });

  it('give the client pod a projected token for exactly the audience the server accepts, where TOKEN_FILE points', () => {
    const client = podSpec('k8s/client');
    const source = client.volumes?.flatMap((v) => v.projected?.sources ?? []).find((s) => s.serviceAccountToken)?.serviceAccountToken;
    expect(source?.expirationSeconds).toBeGreaterThanOrEqual(600);
    for (const server of ['k8s/server', 'k8s/overlays/gke-issuer'] as const) expect(source?.audience).toBe(configData(server).JWT_AUDIENCE);
    const volume = client.volumes?.find((v) => v.projected?.sources.some((s) => s.serviceAccountToken));
    const mount = client.containers[0]?.volumeMounts?.find((m) => m.name === volume?.name);
    expect(`${mount?.mountPath}/${source?.path}`).toBe(configData('k8s/client').TOKEN_FILE);
    expect(client.automountServiceAccountToken).toBe(false);
  });

  it('point the client at the server Service', () => {
    const service = objects('k8s/server', 'Service')[0] as unknown as { metadata: { name: string; namespace: string }; spec: { ports: { name: string; port: number; appProtocol?: string }[] } };
    const port = service.spec.ports.find((p) => p.name === 'grpc');
    expect(port?.appProtocol).toBe('kubernetes.io/h2c');
    expect(configData('k8s/client').SERVICE_ENDPOINT).toBe(`${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local:${port?.port}`);
  });

  it('probe the server with native gRPC health checks: readiness on keys, liveness apart', () => {
    for (const overlay of ['k8s/server', 'k8s/overlays/gke-issuer'] as const) {
      const server = podSpec(overlay).containers[0];
      expect(server?.readinessProbe?.grpc).toEqual({ port: 50051 });
      expect(server?.livenessProbe?.grpc).toEqual({ port: 50051, service: 'liveness' });
    }
  });

  it('run every container non-root, read-only, without privileges or capabilities', () => {
    for (const overlay of OVERLAYS) {
      const spec = podSpec(overlay);
      expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      for (const container of spec.containers) {
        expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      }
    }
  });

  it('scale the server: two or more replicas, a disruption budget and an autoscaler', () => {
    const deployment = objects('k8s/server', 'Deployment')[0] as unknown as { spec: { replicas: number } };
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(objects('k8s/server', 'PodDisruptionBudget')).toHaveLength(1);
    expect(objects('k8s/server', 'HorizontalPodAutoscaler')[0]).toMatchObject({ spec: { minReplicas: 2, scaleTargetRef: { name: 'hello-server' } } });
  });

  it('configure the in-cluster server for the API server issuer, and the GKE overlay for a GKE issuer', () => {
    expect(configData('k8s/server')).toMatchObject({ ID_ISSUER: 'https://kubernetes.default.svc.cluster.local', JWKS_URI: 'https://kubernetes.default.svc.cluster.local/openid/v1/jwks' });
    expect(objects('k8s/server', 'ClusterRoleBinding')[0]).toMatchObject({ roleRef: { name: 'system:service-account-issuer-discovery' } });
    const gke = configData('k8s/overlays/gke-issuer');
    expect(gke.ID_ISSUER).toMatch(/^https:\/\/container\.googleapis\.com\/v1\/projects\/[^/]+\/locations\/[^/]+\/clusters\/[^/]+$/);
    expect(gke.JWKS_URI).toBeUndefined();
    expect(objects('k8s/overlays/gke-issuer', 'ClusterRoleBinding')).toHaveLength(0);
  });
});
