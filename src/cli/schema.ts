// vigil schema: the JSON Schema of check files, generated from the zod schemas.

import { checkFileJsonSchema } from '../config/schema.js';

export function schemaCommand(): number {
  process.stdout.write(`${JSON.stringify(checkFileJsonSchema(), null, 2)}\n`);
  return 0;
}
