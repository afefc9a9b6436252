export * from './app.js';
export {
  type RunningLatchkey,
  type RunOptions,
  resetPasswordCommand,
  rotateMasterKeyCommand,
  runDev,
  runServer,
  StartupError,
  startLatchkey,
} from './main.js';
