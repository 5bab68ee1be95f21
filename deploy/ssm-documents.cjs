// The SSM Command documents of application-consistent snapshot policies, deployed with the stack:
// a policy with `consistency: application` whose `application.document` is one of the caretaker
// documents in ssm/ (caretaker-fsfreeze, caretaker-mysql-lock) gets that document created under
// the stage's own name for it (deploy/names.cjs documentName: `ec2-caretaker-prod-caretaker-fsfreeze`),
// so a second stage or service in the same Region deploys beside the first. The snapshot function
// learns the names from CARETAKER_SSM_DOCUMENTS and its role's ssm:SendCommand is scoped to them
// (deploy/iam.cjs generates it from the config these names are put into: withDeployedDocuments).
// A document of your own (not in ssm/) stays yours to create, under the name the config gives.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ssm-document.html
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const { parse } = require('yaml');
const { readConfig } = require('./schedules.cjs');
const { deployment, documentName } = require('./names.cjs');

const SSM_DIR = join(__dirname, '..', 'ssm');

/** Logical id of a document's resource: `SsmDocumentCaretakerFsfreeze`. */
function logicalId(name) {
  return `SsmDocument${name.replace(/(^|[^A-Za-z0-9])([A-Za-z0-9])/g, (_, _sep, c) => c.toUpperCase()).replace(/[^A-Za-z0-9]/g, '')}`;
}

const applicationPolicies = (config) => ((config.snapshot || {}).policies || []).filter((p) => p.consistency === 'application' && p.application && p.application.document);

/** The caretaker documents (ssm/<name>.yml) the config's application-consistent policies name. */
function shippedDocuments(config) {
  return [...new Set(applicationPolicies(config).map((p) => p.application.document))].filter(
    (name) => /^caretaker-[a-z0-9-]+$/.test(name) && existsSync(join(SSM_DIR, `${name}.yml`)),
  );
}

/** `{ caretaker-fsfreeze: ec2-caretaker-prod-caretaker-fsfreeze }` for the documents this stage deploys. */
function deployedNames(config, d) {
  return Object.fromEntries(shippedDocuments(config).map((name) => [name, documentName(d, name)]));
}

/**
 * The config as the deployed function runs it: each shipped document replaced by the stage's own
 * name for it (what shared/snapshot/deployed-documents.ts does at run time from CARETAKER_SSM_DOCUMENTS).
 */
function withDeployedDocuments(config, d) {
  const names = deployedNames(config, d);
  if (Object.keys(names).length === 0) return config;
  const policies = config.snapshot.policies.map((p) =>
    p.consistency === 'application' && p.application && names[p.application.document] ? { ...p, application: { ...p.application, document: names[p.application.document] } } : p,
  );
  return { ...config, snapshot: { ...config.snapshot, policies } };
}

/** The caretaker documents the config uses, as `AWS::SSM::Document` resources of deployment `d`. */
function documentResources(config, d) {
  const Resources = {};
  for (const [name, deployed] of Object.entries(deployedNames(config, d))) {
    Resources[logicalId(name)] = {
      Type: 'AWS::SSM::Document',
      Properties: {
        Name: deployed,
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
function documents({ resolveVariable }) {
  return deployment(resolveVariable).then((d) => ({ Resources: documentResources(readConfig(), d) }));
}

/** CARETAKER_SSM_DOCUMENTS of the snapshot function: the JSON of {@link deployedNames}. */
function documentNamesEnv({ resolveVariable }) {
  return deployment(resolveVariable).then((d) => JSON.stringify(deployedNames(readConfig(), d)));
}

module.exports = { documents, documentResources, documentNamesEnv, withDeployedDocuments, deployedNames };
