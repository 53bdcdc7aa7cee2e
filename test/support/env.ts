// Keep the Lambda handlers' structured logs out of the test output.
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
