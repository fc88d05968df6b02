import { InvalidAreaSettings } from '../areas/index.ts';
import { buildApp } from './build-app.ts';

// `cdk synth|ls|deploy`: all areas, or `-c area=<slug>` for one. The CLI decides what to bundle.
try {
  buildApp().synth();
} catch (error) {
  // A wrong setting is the operator's to fix: say which, without a stack trace.
  if (!(error instanceof InvalidAreaSettings)) throw error;
  console.error(error.message.split('; ').join('\n  '));
  process.exit(1);
}
