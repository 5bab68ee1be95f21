// Names of the stack's resources that must not clash with another deployment of the suite.
// IAM roles and CloudWatch dashboards are global to the account ("All dashboards in your account
// are global, not region-specific":
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cloudwatch-dashboard.html),
// so their names carry the stage *and* the Region; the Regional ones (topic, queue, alarms,
// functions, schedules) carry the stage, which the Region already separates.
const { createHash } = require('node:crypto');

/** IAM role names: at most 64 characters (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html). */
const ROLE_NAME_MAX = 64;
/** Dashboard names: 1-255 characters, letters, digits, `-` and `_` (page above). */
const DASHBOARD_NAME_MAX = 255;
/**
 * SSM document names: 3-128 of `a-zA-Z0-9_-.`, and never starting with a prefix AWS reserves
 * (`aws`, `amazon`, `amzn`, `AWSEC2`, `AWSConfigRemediation`, `AWSSupport`: all begin `aws`,
 * `amazon` or `amzn`, compared without case).
 * https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CreateDocument.html
 */
const DOCUMENT_NAME_MAX = 128;
const DOCUMENT_NAME = /^[a-zA-Z0-9_.-]{3,128}$/;
const RESERVED_DOCUMENT_PREFIX = /^(aws|amazon|amzn)/i;

/**
 * `parts` joined by `-`, at most `max` characters. A name that does not fit is cut and ends in a
 * hash of the whole name, so two long names that differ only past the cut never become one
 * (a plain slice would make `...-prod-eu-west-1-replace-degraded` and `...-prod-eu-west-2-...` equal).
 */
function boundedName(parts, max) {
  const full = parts.filter(Boolean).join('-');
  if (full.length <= max) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  return `${full.slice(0, max - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}

/** A function's role: `ec2-caretaker-prod-eu-west-1-prune-snapshots`. */
function roleName({ service, stage, region }, fn, suffix) {
  return boundedName([service, stage, region, fn, suffix], ROLE_NAME_MAX);
}

/** The dashboard of one stage in one Region. */
function dashboardName({ service, stage, region }) {
  return boundedName([service, stage, region], DASHBOARD_NAME_MAX);
}

/**
 * A caretaker SSM document as one stage deploys it: `ec2-caretaker-prod-caretaker-fsfreeze`.
 * Documents are Regional and their names one per account and Region, so the name carries the
 * service and the stage (two stages, or two services, in one Region never share one); a second
 * Region has its own. Throws, at package time, on a name SSM would refuse at deploy time.
 */
function documentName({ service, stage }, document) {
  const name = boundedName([service, stage, document], DOCUMENT_NAME_MAX);
  if (!DOCUMENT_NAME.test(name)) throw new Error(`SSM document name ${name}: only letters, digits, '-', '_' and '.' (service and stage must keep to them)`);
  if (RESERVED_DOCUMENT_PREFIX.test(name)) throw new Error(`SSM document name ${name}: names starting with aws, amazon or amzn are reserved by AWS (rename the service)`);
  return name;
}

/** service, stage and Region of the deployment being packaged (serverless variables). */
function deployment(resolveVariable) {
  return Promise.all([resolveVariable('self:service'), resolveVariable('sls:stage'), resolveVariable('self:provider.region')]).then(([service, stage, region]) => ({ service, stage, region }));
}

module.exports = { boundedName, roleName, dashboardName, documentName, deployment, ROLE_NAME_MAX, DASHBOARD_NAME_MAX, DOCUMENT_NAME_MAX };
