import type { Config } from '../config/schema';
import { InputError } from '../engine/errors';

/** The environment variable the stack sets on the snapshot function (deploy/ssm-documents.cjs). */
export const DOCUMENTS_ENV = 'CARETAKER_SSM_DOCUMENTS';

/**
 * The stage's names of the caretaker SSM documents, from {@link DOCUMENTS_ENV}:
 * `{"caretaker-fsfreeze":"ec2-caretaker-prod-caretaker-fsfreeze"}`. Unset means none (the sandbox,
 * a CLI run that names documents as they are). Anything else but a JSON object of names is bad input.
 */
export function parseDeployedDocuments(raw: string | undefined): Record<string, string> {
  if (raw === undefined || raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new InputError('environment', [{ path: DOCUMENTS_ENV, message: `not JSON (${(error as Error).message})` }]);
  }
  const ok = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && Object.values(parsed).every((v) => typeof v === 'string' && v.length > 0);
  if (!ok) throw new InputError('environment', [{ path: DOCUMENTS_ENV, message: 'must be a JSON object of document name → deployed name' }]);
  return parsed as Record<string, string>;
}

/**
 * The config as this deployment runs it: a policy naming a caretaker document sends the stage's
 * own copy of it (SSM document names are one per account and Region, so each stage deploys its own
 * under its own name, and the role may send only those). Other documents are left as named.
 */
export function withDeployedDocuments(config: Config, names: Record<string, string>): Config {
  if (Object.keys(names).length === 0) return config;
  const policies = config.snapshot.policies.map((p) => {
    const deployed = p.application && names[p.application.document];
    return deployed && p.consistency === 'application' ? { ...p, application: { ...p.application!, document: deployed } } : p;
  });
  return { ...config, snapshot: { ...config.snapshot, policies } };
}
