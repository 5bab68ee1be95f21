#!/usr/bin/env node
// Entry for `npx caretaker` and `npm start`: runs the TypeScript CLI through tsx, no build step.
// The SDK's "Node < 22" notice is noise on a workstation (Lambda runs nodejs22.x).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
