/** The cold-start reference: a handler that does nothing, bundled like the pipeline's functions. */
export const handler = async (): Promise<Record<string, never>> => Promise.resolve({});
