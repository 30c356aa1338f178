export { createS3Client, isS3NotFound, S3_CLIENT_ATTEMPTS_MAX, type S3ConnectionOptions } from './client';
export { configuredS3Server, startS3TestServer, type S3TestServer } from './test-server';
