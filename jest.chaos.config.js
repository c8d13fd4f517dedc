/** `npm run test:chaos`: fuzz, random kills and load with faults. Slower than `npm test`; CI runs both. */
const base = require('./jest.config');

module.exports = { ...base, testMatch: ['**/*.chaos.ts'], testTimeout: 900_000, maxWorkers: 1 };
