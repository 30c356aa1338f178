import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

// zod-to-openapi reads its metadata through `.openapi()`; every query-api schema imports `z`
// from here so that the prototype is patched before the first schema is built.
extendZodWithOpenApi(z);

export { z };
