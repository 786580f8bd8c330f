import { LocalPipeline } from '../../local/pipeline.js';

// jest goes on after a test that timed out, without waiting for its `finally`: whatever pipeline
// it left running is stopped here, so no DynamoDB Local, fauxqs or sandbox outlives the suite.
afterAll(() => LocalPipeline.stopAll());
