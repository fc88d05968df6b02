import { buildApp } from './build-app.ts';

// `cdk synth|ls|deploy`: all areas, or `-c area=<slug>` for one. The CLI decides what to bundle.
buildApp().synth();
