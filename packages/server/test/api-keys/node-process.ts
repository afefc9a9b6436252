/**
 * One real server node for the two-node test: the production start-up path (migrations under the
 * advisory lock, app, listen) on the DATABASE_URL it is given. Run with
 * `node --conditions=source --import tsx`, so it runs the sources under test, not a stale build.
 */
import { readSettings, startLatchkey } from '../../src/main.js';

const running = await startLatchkey(readSettings('production', { port: 0 }, process.env));
process.stdout.write(`LISTENING ${running.listenUrl}\n`);
const stop = () => void running.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
