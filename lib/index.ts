export * from './context.js';
export * from './defaults.js';
export * from './ses-feedback-pipeline.js';
export * from './ses-feedback-stack.js';
