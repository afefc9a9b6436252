// Core's token helpers (which contract and names import for their constants) hash with
// node:crypto. The dashboard never mints or hashes a token, so in the browser bundle those two
// functions are stand-ins that fail loudly if anything ever called them.
const unavailable = (name: string) => () => {
  throw new Error(`${name} is not available in the dashboard`);
};
export const createHash = unavailable('createHash');
export const randomBytes = unavailable('randomBytes');
