import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configSchema } from '../../shared/config/schema';
import { DOCUMENTS_ENV, parseDeployedDocuments, withDeployedDocuments } from '../../shared/snapshot/deployed-documents';

const require = createRequire(import.meta.url);
const { documentResources, deployedNames, withDeployedDocuments: withDeployedDocumentsCjs } = require('../../deploy/ssm-documents.cjs');
const { documentName, DOCUMENT_NAME_MAX } = require('../../deploy/names.cjs') as {
  documentName(d: { service: string; stage: string }, document: string): string;
  DOCUMENT_NAME_MAX: number;
};
const ssm = (name: string) => parse(readFileSync(join(import.meta.dirname, '..', '..', 'ssm', `${name}.yml`), 'utf8'));
const policy = (name: string, document: string, consistency = 'application') => ({ name, consistency, application: { document } });
const PROD = { service: 'ec2-caretaker', stage: 'prod', region: 'us-east-1' };

describe('SSM documents deployed with the stack', () => {
  it('creates each caretaker document an application-consistent policy names, once, under the stage\'s own name', () => {
    const resources = documentResources(
      { snapshot: { policies: [policy('db', 'caretaker-mysql-lock'), policy('db2', 'caretaker-mysql-lock'), policy('files', 'caretaker-fsfreeze')] } },
      PROD,
    );
    expect(resources).toEqual({
      SsmDocumentCaretakerMysqlLock: {
        Type: 'AWS::SSM::Document',
        Properties: { Name: 'ec2-caretaker-prod-caretaker-mysql-lock', DocumentType: 'Command', DocumentFormat: 'JSON', Content: ssm('caretaker-mysql-lock'), UpdateMethod: 'NewVersion' },
      },
      SsmDocumentCaretakerFsfreeze: {
        Type: 'AWS::SSM::Document',
        Properties: { Name: 'ec2-caretaker-prod-caretaker-fsfreeze', DocumentType: 'Command', DocumentFormat: 'JSON', Content: ssm('caretaker-fsfreeze'), UpdateMethod: 'NewVersion' },
      },
    });
    expect(resources.SsmDocumentCaretakerFsfreeze.Properties.Content).toMatchObject({ schemaVersion: '2.2', parameters: { action: { allowedValues: ['pre', 'post'] } } });
  });

  it('gives two stages, and two services, in one Region different document names', () => {
    const config = { snapshot: { policies: [policy('files', 'caretaker-fsfreeze')] } };
    const names = [PROD, { ...PROD, stage: 'dev' }, { ...PROD, service: 'caretaker-b' }].map((d) => documentResources(config, d).SsmDocumentCaretakerFsfreeze.Properties.Name);
    expect(new Set(names).size).toBe(3);
  });

  it('leaves documents of your own, crash-consistent policies and a config without snapshots alone', () => {
    expect(documentResources({ snapshot: { policies: [policy('mine', 'my-own-freeze'), policy('crash', 'caretaker-fsfreeze', 'crash')] } }, PROD)).toEqual({});
    expect(documentResources({}, PROD)).toEqual({});
    const mine = { snapshot: { policies: [policy('mine', 'my-own-freeze')] } };
    expect(withDeployedDocumentsCjs(mine, PROD)).toBe(mine);
  });
});

describe('SSM document names (CreateDocument rules)', () => {
  it('keeps a long stage within 128 characters, distinct past the cut', () => {
    const long = (stage: string) => documentName({ service: 'ec2-caretaker', stage }, 'caretaker-mysql-lock');
    const a = long(`feature-${'x'.repeat(120)}-a`);
    const b = long(`feature-${'x'.repeat(120)}-b`);
    expect(a.length).toBeLessThanOrEqual(DOCUMENT_NAME_MAX);
    expect(a).toMatch(/^[a-zA-Z0-9_.-]{3,128}$/);
    expect(a).not.toBe(b);
  });

  it('refuses, at package time, a name SSM refuses: a reserved prefix or another character', () => {
    expect(() => documentName({ service: 'aws-caretaker', stage: 'prod' }, 'caretaker-fsfreeze')).toThrow(/reserved by AWS/);
    expect(() => documentName({ service: 'Amazon-tools', stage: 'prod' }, 'caretaker-fsfreeze')).toThrow(/reserved by AWS/);
    expect(() => documentName({ service: 'amzn', stage: 'prod' }, 'caretaker-fsfreeze')).toThrow(/reserved by AWS/);
    expect(() => documentName({ service: 'ec2-caretaker', stage: 'prod/1' }, 'caretaker-fsfreeze')).toThrow(/only letters, digits/);
  });
});

describe('the snapshot function sends the stage\'s documents', () => {
  const config = configSchema.parse({
    snapshot: {
      policies: [
        { name: 'db', schedule: 'rate(1 day)', selector: { tags: { app: ['db'] } }, consistency: 'application', application: { document: 'caretaker-mysql-lock' } },
        { name: 'own', schedule: 'rate(1 day)', selector: { tags: { app: ['own'] } }, consistency: 'application', application: { document: 'my-freeze' } },
        { name: 'crash', schedule: 'rate(1 day)', selector: { tags: { app: ['web'] } } },
      ],
    },
  });

  it('maps each shipped document to the name the template gives it, and leaves the others as named', () => {
    // The same map the template's CARETAKER_SSM_DOCUMENTS carries (deploy/ssm-documents.cjs).
    const names = parseDeployedDocuments(JSON.stringify(deployedNames(config, PROD)));
    expect(names).toEqual({ 'caretaker-mysql-lock': 'ec2-caretaker-prod-caretaker-mysql-lock' });
    const deployed = withDeployedDocuments(config, names);
    expect(deployed.snapshot.policies.map((p) => p.application?.document)).toEqual(['ec2-caretaker-prod-caretaker-mysql-lock', 'my-freeze', undefined]);
    // The runtime's config is the one the role was generated from.
    expect(deployed.snapshot.policies.map((p) => p.application?.document)).toEqual(withDeployedDocumentsCjs(config, PROD).snapshot.policies.map((p: any) => p.application?.document));
    expect(withDeployedDocuments(config, {})).toBe(config);
  });

  it('refuses a malformed CARETAKER_SSM_DOCUMENTS, naming the variable', () => {
    expect(parseDeployedDocuments(undefined)).toEqual({});
    expect(() => parseDeployedDocuments('{nope')).toThrow(new RegExp(`${DOCUMENTS_ENV}: not JSON`));
    expect(() => parseDeployedDocuments('["a"]')).toThrow(new RegExp(`${DOCUMENTS_ENV}: must be a JSON object`));
    expect(() => parseDeployedDocuments('{"caretaker-fsfreeze": 3}')).toThrow(new RegExp(DOCUMENTS_ENV));
  });

  it('is what a deployed function loads: the packaged config with the environment\'s names', async () => {
    const { lambdaDeps } = await import('../../shared/lambda/handler');
    const file = join(tmpdir(), `caretaker-ssm-${process.pid}.yml`);
    writeFileSync(file, 'snapshot:\n  policies:\n    - { name: db, schedule: rate(1 day), selector: { tags: { app: [db] } }, consistency: application, application: { document: caretaker-mysql-lock } }\n');
    const saved = { config: process.env.CARETAKER_CONFIG, docs: process.env[DOCUMENTS_ENV] };
    process.env.CARETAKER_CONFIG = file;
    process.env[DOCUMENTS_ENV] = JSON.stringify({ 'caretaker-mysql-lock': 'ec2-caretaker-prod-caretaker-mysql-lock' });
    try {
      const loaded = await lambdaDeps('snapshot-volumes', {}).config();
      expect(loaded.snapshot.policies[0]!.application!.document).toBe('ec2-caretaker-prod-caretaker-mysql-lock');
      process.env[DOCUMENTS_ENV] = 'oops';
      await expect(lambdaDeps('snapshot-volumes', {}).config()).rejects.toThrow(/CARETAKER_SSM_DOCUMENTS/);
    } finally {
      for (const [k, v] of [['CARETAKER_CONFIG', saved.config], [DOCUMENTS_ENV, saved.docs]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
