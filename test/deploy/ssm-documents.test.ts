import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const { documentResources } = createRequire(import.meta.url)('../../deploy/ssm-documents.cjs');
const ssm = (name: string) => parse(readFileSync(join(import.meta.dirname, '..', '..', 'ssm', `${name}.yml`), 'utf8'));
const policy = (name: string, document: string, consistency = 'application') => ({ name, consistency, application: { document } });

describe('SSM documents deployed with the stack', () => {
  it('creates each caretaker document an application-consistent policy names, once, under that exact name', () => {
    const resources = documentResources({
      snapshot: { policies: [policy('db', 'caretaker-mysql-lock'), policy('db2', 'caretaker-mysql-lock'), policy('files', 'caretaker-fsfreeze')] },
    });
    expect(resources).toEqual({
      SsmDocumentCaretakerMysqlLock: {
        Type: 'AWS::SSM::Document',
        Properties: { Name: 'caretaker-mysql-lock', DocumentType: 'Command', DocumentFormat: 'JSON', Content: ssm('caretaker-mysql-lock'), UpdateMethod: 'NewVersion' },
      },
      SsmDocumentCaretakerFsfreeze: {
        Type: 'AWS::SSM::Document',
        Properties: { Name: 'caretaker-fsfreeze', DocumentType: 'Command', DocumentFormat: 'JSON', Content: ssm('caretaker-fsfreeze'), UpdateMethod: 'NewVersion' },
      },
    });
    expect(resources.SsmDocumentCaretakerFsfreeze.Properties.Content).toMatchObject({ schemaVersion: '2.2', parameters: { action: { allowedValues: ['pre', 'post'] } } });
  });

  it('leaves documents of your own, crash-consistent policies and a config without snapshots alone', () => {
    expect(documentResources({ snapshot: { policies: [policy('mine', 'my-own-freeze'), policy('crash', 'caretaker-fsfreeze', 'crash')] } })).toEqual({});
    expect(documentResources({})).toEqual({});
  });
});
