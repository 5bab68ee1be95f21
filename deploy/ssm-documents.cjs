// The SSM Command documents of application-consistent snapshot policies, deployed with the stack:
// a policy with `consistency: application` whose `application.document` is one of the caretaker
// documents in ssm/ (caretaker-fsfreeze, caretaker-mysql-lock) gets that document created under
// exactly that name, so the snapshot role's ssm:SendCommand (scoped to document/<name>) finds it.
// A document of your own (not in ssm/) stays yours to create.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ssm-document.html
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const { parse } = require('yaml');
const { readConfig } = require('./schedules.cjs');

const SSM_DIR = join(__dirname, '..', 'ssm');

/** Logical id of a document's resource: `SsmDocumentCaretakerFsfreeze`. */
function logicalId(name) {
  return `SsmDocument${name.replace(/(^|[^A-Za-z0-9])([A-Za-z0-9])/g, (_, _sep, c) => c.toUpperCase()).replace(/[^A-Za-z0-9]/g, '')}`;
}

/** The caretaker documents the config uses, as `AWS::SSM::Document` resources. */
function documentResources(config = readConfig()) {
  const names = [
    ...new Set(
      ((config.snapshot || {}).policies || [])
        .filter((p) => p.consistency === 'application' && p.application && p.application.document)
        .map((p) => p.application.document),
    ),
  ].filter((name) => /^caretaker-[a-z0-9-]+$/.test(name) && existsSync(join(SSM_DIR, `${name}.yml`)));
  const Resources = {};
  for (const name of names) {
    Resources[logicalId(name)] = {
      Type: 'AWS::SSM::Document',
      Properties: {
        Name: name,
        DocumentType: 'Command',
        DocumentFormat: 'JSON',
        Content: parse(readFileSync(join(SSM_DIR, `${name}.yml`), 'utf8')),
        // Content is the parsed ssm/<name>.yml (JSON in the template). A content change adds a version instead of replacing the document (a named one cannot be replaced in place).
        UpdateMethod: 'NewVersion',
      },
    };
  }
  return Resources;
}

/** `resources` fragment for serverless.yml. */
function documents() {
  return { Resources: documentResources() };
}

module.exports = { documents, documentResources };
