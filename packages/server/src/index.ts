export * from './app.js';
export {
  type RunningLatchkey,
  type RunOptions,
  runDev,
  runServer,
  StartupError,
  startLatchkey,
} from './main.js';
