// @latchkey/sdk: the app SDK (verifier, route mounting, webhooks, management client) arrives with
// its own issue; for now it re-exports the error contract apps will share with the server.
export { AppError, type ErrorCode, ErrorCodes } from '@latchkey/core';
