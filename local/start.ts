import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { areaSlugs } from '../areas/index.ts';
import { ScaledClock } from './clock.ts';
import { JavaMissingError } from './dynamodb/server.ts';
import { readSavedClock, realNow, saveClock } from './clock-file.ts';
import { startRuntime } from './runtime.ts';

/**
 * `npm start`: runs one area locally. Options:
 *   --area <slug>         pilot area (default south-yorkshire)
 *   --port <n>            gateway port (default PORT or 3000)
 *   --clock-speed <n>     simulated seconds per real second (default 1)
 *   --data-dir <dir>      where data is kept (default .local/<area>)
 *   --in-memory           keep nothing between runs
 *   --mail-endpoint <url> send e-mail to a mailbox (SES v2 API) already running, not a new one
 */
const { values } = parseArgs({
  options: {
    area: { type: 'string', default: process.env.WORKWELL_AREA ?? 'south-yorkshire' },
    port: { type: 'string', default: process.env.PORT ?? '3000' },
    'clock-speed': { type: 'string', default: '1' },
    'data-dir': { type: 'string' },
    'in-memory': { type: 'boolean', default: false },
    'mail-endpoint': { type: 'string' },
  },
});

const area = values.area;
if (!(areaSlugs as readonly string[]).includes(area)) {
  console.error(`Unknown area "${area}". Known areas: ${areaSlugs.join(', ')}`);
  process.exit(2);
}
const speed = Number(values['clock-speed']);
const port = Number(values.port);
if (!(speed > 0) || !Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('--clock-speed must be a positive number and --port a port number');
  process.exit(2);
}
const dataDir = values['in-memory'] ? undefined : (values['data-dir'] ?? join('.local', area));

// A sped-up clock runs ahead of real time; carry it over a restart so deadlines stay put.
const clockFile = dataDir ? join(dataDir, 'clock.json') : undefined;
let start = Date.now();
const saved = clockFile ? readSavedClock(clockFile) : undefined;
if (saved && saved.now > start) start = saved.now;
const clock = new ScaledClock(start, speed);
if (clockFile && dataDir) {
  mkdirSync(dataDir, { recursive: true });
  // Atomically: a SIGKILL mid-write must not leave a clock the next start cannot read. The
  // speed and real time let operator commands tell the runtime's time between saves.
  // Real time from performance: Date follows the runtime's clock once it runs.
  const save = () => saveClock(clockFile, clock, speed, realNow());
  save();
  setInterval(save, 1000).unref();
}

const log = (line: string) => console.log(line);
try {
  const mailEndpoint = values['mail-endpoint'];
  const runtime = await startRuntime({ areaSlug: area, port, dataDir, clock, retryScale: 1 / speed, log, ...(mailEndpoint ? { mailEndpoint } : {}) });
  log(`WorkWell ${area} is running locally`);
  log(`  API:            ${runtime.gatewayUrl}  (GET /health, POST /v1/referrals)`);
  log(`  Step Functions: ${runtime.stepFunctionsEndpoint}  (${runtime.stateMachineArn})`);
  log(`  DynamoDB Local: ${runtime.dynamoDbEndpoint}`);
  log(`  Secrets Manager: ${runtime.secretsManagerEndpoint}`);
  log(`  Mailbox:        ${runtime.mailbox.url}  (every e-mail sent locally; open it in a browser)`);
  log(`  Data:           ${dataDir ?? 'in memory'}${speed !== 1 ? `; clock ${speed}x` : ''}`);
  // The path only: the tokens stay in the file (owner-readable), never in the terminal.
  log(`  Partners:       ${runtime.partners.length} demo partner credential(s) in ${runtime.credentialsFile}`);
  log('                  send one as Authorization: Bearer <token>');
  log(`  Staff:          ${runtime.staff.length} coach and team lead token(s) (12 h of real time) under "staff" in ${runtime.credentialsFile}`);
  log('                  for GET /v1/tasks and the other coach routes');
  // Operator commands then see this runtime's data and its clock (README: the runbook).
  log(`  Operators:      npm run journeys -- show <referral id> --area ${area} --endpoint ${runtime.dynamoDbEndpoint}${dataDir ? ` --data-dir ${dataDir}` : ''}`);
  const shutdown = async () => {
    await runtime.stop();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
} catch (error) {
  if (error instanceof JavaMissingError) {
    console.error(error.message);
  } else {
    console.error('Local runtime failed to start:', error instanceof Error ? error.message : error);
  }
  process.exit(1);
}
