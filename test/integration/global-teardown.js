// Stops the DynamoDB Local process that global-setup.js started (by its PID, waiting for it to exit).
module.exports = async function globalTeardown() {
  await globalThis.__dynamoDbLocal?.stop();
};
