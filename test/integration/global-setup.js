// Starts DynamoDB Local once for the whole jest run; workers find it through the environment.
// Jest loads this file outside its module mapper, so tsx's hook loads the TypeScript sources.
require('tsx/cjs');
const { startDynamoDbLocal } = require('../../local/dynamodb-local.ts');

module.exports = async function globalSetup() {
  const dynamo = await startDynamoDbLocal();
  globalThis.__dynamoDbLocal = dynamo;
  process.env.TEST_DYNAMODB_ENDPOINT = dynamo.endpoint;
};
