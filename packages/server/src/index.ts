export * from './app.js';
export {
  type RunningLatchkey,
  type RunOptions,
  rotateMasterKeyCommand,
  runDev,
  runServer,
  StartupError,
  startLatchkey,
} from './main.js';
