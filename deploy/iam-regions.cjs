// Limits every role to the Regions the config makes it act in (issue 15): one pass over the
// statements each role generator returns, so statements added later (CopySnapshot, archive tier)
// are covered without naming Regions themselves.
//
// - A statement of a Regional fleet service (EC2, SSM, ELB, KMS through EC2) gets the condition
//   `aws:RequestedRegion` = the role's Regions, and its `${AWS::Region}` ARNs become `*` once the
//   role covers more than the deployment's Region (the condition then does the limiting: one ARN per
//   Region would multiply the policy past IAM's 10,240-character inline limit).
//   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-requestedregion
// - `regions: all`: the Regions enabled for the account are known only at run time (DescribeRegions),
//   so the role gets no Region condition and `*` ARNs: it may act in every Region of the partition;
//   a Region the account has not enabled refuses the call anyway (AuthFailure).
// - A Deny statement is widened to every Region (a kept snapshot is kept wherever it is), never narrowed.
// - Route 53 and IAM are global services whose one endpoint is in us-east-1 (aws:RequestedRegion is
//   us-east-1 whatever Region the function runs in), so their statements are left as they are;
//   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws_deny-requested-region.html
// - Logs, the alert topic and queue, Scheduler and Lambda are the deployment's own resources, pinned to
//   its Region by their ARNs (`${AWS::Region}`), and stay so.
const sub = (s) => ({ 'Fn::Sub': s });
const HOME = sub('${AWS::Region}');

const REGIONAL = new Set(['ec2', 'ssm', 'elasticloadbalancing', 'kms']);
// AWS Health's API has one (global) endpoint in us-east-1, like Route 53 and IAM.
const UNSCOPED = new Set(['route53', 'iam', 'health', 'logs', 'sns', 'sqs', 'scheduler', 'lambda']);

const uniq = (list) => [...new Set(list)];

/**
 * The Regions one function acts in: a sorted list of names (the deployment's Region written as
 * `${AWS::Region}` when the config leaves `regions` out), or 'all'. Copies are made (CopySnapshot is
 * called in the destination Region) and pruned in their copyTo Regions, so those count for the
 * snapshot and prune roles, but only for reads and the copy block's own statements: `covered`
 * (the default) leaves out copy destinations outside `regions`, where the roles may do nothing
 * but read and act on copies (see scopeToRegions).
 */
function roleRegions(config, fn, { copies = true } = {}) {
  const top = config.regions === 'all' ? 'all' : config.regions || ['${AWS::Region}'];
  const policies = (config.snapshot || {}).policies || [];
  const copyRegions = policies.flatMap((p) => (p.copyTo || []).map((t) => t.region));
  const narrow = (list) => (list ? list : top);
  const union = (...sets) => (sets.includes('all') ? 'all' : uniq(sets.flat()).sort());
  // prune.regions may name a copy destination outside `regions` (visited for its copies alone).
  const inTop = (list) => (top === 'all' || list === 'all' ? list : list.filter((r) => top.includes(r)));
  switch (fn) {
    case 'snapshot-volumes':
      return policies.length === 0 ? top : union(...policies.map((p) => narrow(p.regions)), copies ? copyRegions : []);
    case 'prune-snapshots':
      return copies ? union(narrow((config.prune || {}).regions), copyRegions) : union(inTop(narrow((config.prune || {}).regions)));
    case 'replace-degraded':
      return narrow((config.degraded || {}).regions);
    case 'dns-failover': {
      const groups = (config.failover || {}).groups || [];
      return groups.length === 0 ? ['${AWS::Region}'] : union(...groups.map((g) => [g.region || '${AWS::Region}']));
    }
    default:
      throw new Error(`roleRegions: unknown function ${fn}`);
  }
}

const serviceOf = (action) => action.split(':')[0];

/** A Region name as a policy value: the deployment's own is the pseudo parameter. */
const regionValue = (r) => (r === '${AWS::Region}' ? HOME : r);

/** `${AWS::Region}` in a Regional service's ARN → any Region. */
function anyRegion(resource) {
  if (Array.isArray(resource)) return resource.map(anyRegion);
  if (resource && typeof resource === 'object' && typeof resource['Fn::Sub'] === 'string') {
    return sub(resource['Fn::Sub'].replace(/^(arn:\$\{AWS::Partition\}:(?:ec2|ssm|elasticloadbalancing|kms)):\$\{AWS::Region\}:/, '$1:*:'));
  }
  return resource;
}

/** `kms:ViaService` = ec2.<home>.amazonaws.com → the EC2 endpoint of each of the role's Regions. */
function viaServices(condition, regions) {
  const via = condition.StringEquals && condition.StringEquals['kms:ViaService'];
  if (!via) return condition;
  const { 'kms:ViaService': _, ...rest } = condition.StringEquals;
  const service = (via['Fn::Sub'] || via).replace(/\.\$\{AWS::Region\}\.amazonaws\.com$/, '').replace(/\.[a-z0-9-]+\.amazonaws\.com$/, '');
  const out = { ...condition, StringEquals: rest };
  if (regions === 'all') out.StringLike = { ...out.StringLike, 'kms:ViaService': `${service}.*.amazonaws.com` };
  else out.StringEquals['kms:ViaService'] = regions.map((r) => (r === '${AWS::Region}' ? sub(`${service}.\${AWS::Region}.amazonaws.com`) : `${service}.${r}.amazonaws.com`));
  if (Object.keys(out.StringEquals).length === 0) delete out.StringEquals;
  return out;
}

/** One statement limited to `regions` (see the file comment). */
function scopeStatement(statement, regions) {
  const services = uniq([statement.Action].flat().map(serviceOf));
  if (services.every((s) => UNSCOPED.has(s))) return statement;
  const unknown = services.filter((s) => !REGIONAL.has(s));
  if (unknown.length > 0) {
    throw new Error(`statement ${statement.Sid}: say whether ${unknown.join(', ')} is a Regional fleet service or the deployment's own (deploy/iam-regions.cjs), and do not mix the two in one statement`);
  }
  const onlyHome = regions !== 'all' && regions.length === 1 && regions[0] === '${AWS::Region}';
  const out = { ...statement };
  if (statement.Effect === 'Deny') {
    out.Resource = anyRegion(statement.Resource);
    return out;
  }
  if (!onlyHome) out.Resource = anyRegion(statement.Resource);
  // Only a condition already naming an EC2 endpoint carries one per Region; the statement keeps its own Sid and keys.
  let condition = statement.Condition && !onlyHome ? viaServices(statement.Condition, regions) : statement.Condition;
  if (regions !== 'all') {
    condition = { ...condition, StringEquals: { ...(condition && condition.StringEquals), 'aws:RequestedRegion': regions.map(regionValue) } };
  }
  if (condition) out.Condition = condition;
  return out;
}

/**
 * A statement that only reads (Describe/Get/List), or whose resources name their Regions
 * themselves (the copy block, deploy/iam-copy.cjs: the destinations' snapshot ARNs, the source
 * side's `*`, the destinations' keys), may be called in copy destinations outside `regions`; the
 * others (`${AWS::Region}` ARNs: creating, deleting, archiving the fleet's own snapshots) may not.
 */
function readsOrNamesRegions(statement) {
  if ([statement.Action].flat().every((a) => /^[a-z0-9-]+:(Describe|Get|List)/.test(a))) return true;
  return [statement.Resource].flat().every((r) => !JSON.stringify(r).includes('${AWS::Region}'));
}

/** Every statement of a function's role limited to the Regions the config makes it act in. */
function scopeToRegions(statements, config, fn) {
  const regions = roleRegions(config, fn);
  const covered = roleRegions(config, fn, { copies: false });
  // A prune whose prune.regions names copy destinations alone covers no Region of its own: no fleet statement.
  const kept = covered === 'all' || covered.length > 0 ? statements : statements.filter(readsOrNamesRegions);
  return kept.map((s) => scopeStatement(s, readsOrNamesRegions(s) ? regions : covered));
}

module.exports = { roleRegions, scopeToRegions, scopeStatement };
